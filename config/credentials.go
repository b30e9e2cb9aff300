package config

import (
	"crypto"
	"crypto/ecdsa"
	"crypto/ed25519"
	"crypto/rsa"
	"crypto/x509"
	"encoding/pem"
	"errors"
	"fmt"
	"os"
	"strings"
	"time"

	pconfig "github.com/prometheus/common/config"

	"github.com/azure-ea-exporter/azure_ea_exporter/internal/jwtclaims"
)

// ExpiryWarning is how long before a credential expires loading the
// configuration starts to warn about it.
const ExpiryWarning = 14 * 24 * time.Hour

// resolveKey reads an EA enrollment's key from its source. field is the
// YAML key of the source, for the problem's path.
func resolveKey(e *Enrollment, getenv func(string) string) (field string, key pconfig.Secret, warning string, err error) {
	switch {
	case e.APIKeyFile != "":
		b, warning, err := readSecretFile(e.APIKeyFile)
		return "api_key_file", pconfig.Secret(b), warning, err
	case e.APIKeyEnv != "":
		k := strings.TrimSpace(getenv(e.APIKeyEnv))
		if k == "" {
			return "api_key_env", "", "", fmt.Errorf("environment variable %s is not set or empty", e.APIKeyEnv)
		}
		return "api_key_env", pconfig.Secret(k), "", nil
	default:
		return "api_key", pconfig.Secret(strings.TrimSpace(string(e.APIKey))), "", nil
	}
}

// resolveSecret reads an ARM enrollment's client secret from its source.
func resolveSecret(e *Enrollment, getenv func(string) string) (field string, secret pconfig.Secret, warning string, err error) {
	if e.ClientSecretFile != "" {
		b, warning, err := readSecretFile(e.ClientSecretFile)
		return "client_secret_file", pconfig.Secret(b), warning, err
	}
	s := strings.TrimSpace(getenv(e.ClientSecretEnv))
	if s == "" {
		return "client_secret_env", "", "", fmt.Errorf("environment variable %s is not set or empty", e.ClientSecretEnv)
	}
	return "client_secret_env", pconfig.Secret(s), "", nil
}

// readSecretFile reads a file holding one secret, white space trimmed.
func readSecretFile(path string) (secret, warning string, err error) {
	b, warning, err := readPrivateFile(path)
	if err != nil {
		return "", warning, err
	}
	secret = strings.TrimSpace(string(b))
	if secret == "" {
		return "", warning, fmt.Errorf("%s is empty", path)
	}
	return secret, warning, nil
}

// readPrivateFile reads a file that holds a secret, warning when users
// other than its owner and group can read or change it. The group may:
// Kubernetes mounts secrets 0440 with an fsGroup.
func readPrivateFile(path string) (b []byte, warning string, err error) {
	fi, err := os.Stat(path)
	if err != nil {
		return nil, "", unwrapPathError(err)
	}
	if fi.IsDir() {
		return nil, "", fmt.Errorf("%s is a directory", path)
	}
	switch perm := fi.Mode().Perm(); {
	case perm&0o004 != 0:
		warning = fmt.Sprintf("%s is readable by others (mode %04o); use 0600, 0400 or 0440", path, perm)
	case perm&0o002 != 0:
		warning = fmt.Sprintf("%s is writable by others (mode %04o); use 0600, 0400 or 0440", path, perm)
	}
	b, err = os.ReadFile(path)
	if err != nil {
		return nil, warning, unwrapPathError(err)
	}
	return b, warning, nil
}

func unwrapPathError(err error) error {
	var pe *os.PathError
	if errors.As(err, &pe) {
		return fmt.Errorf("%s: %w", pe.Path, pe.Err)
	}
	return err
}

// readCertificate reads a PEM file with a client certificate and its
// private key (PKCS #8, PKCS #1 or SEC 1 EC). The certificate returned is
// the one whose public key matches the private key: the leaf, when the
// file also carries its chain.
func readCertificate(path string) (pemBytes []byte, leaf *x509.Certificate, warning string, err error) {
	b, warning, err := readPrivateFile(path)
	if err != nil {
		return nil, nil, warning, err
	}
	if len(strings.TrimSpace(string(b))) == 0 {
		return nil, nil, warning, fmt.Errorf("%s is empty", path)
	}
	var (
		certs []*x509.Certificate
		key   crypto.Signer
		rest  = b
	)
	for {
		var block *pem.Block
		block, rest = pem.Decode(rest)
		if block == nil {
			break
		}
		switch block.Type {
		case "CERTIFICATE":
			c, err := x509.ParseCertificate(block.Bytes)
			if err != nil {
				return nil, nil, warning, fmt.Errorf("%s: certificate: %w", path, err)
			}
			certs = append(certs, c)
		case "PRIVATE KEY", "RSA PRIVATE KEY", "EC PRIVATE KEY":
			if key != nil {
				return nil, nil, warning, fmt.Errorf("%s holds more than one private key", path)
			}
			if _, encrypted := block.Headers["DEK-Info"]; encrypted {
				return nil, nil, warning, fmt.Errorf("%s: the private key is encrypted; store it unencrypted in a file only the exporter can read", path)
			}
			if key, err = parsePrivateKey(block); err != nil {
				return nil, nil, warning, fmt.Errorf("%s: %s: %w", path, strings.ToLower(block.Type), err)
			}
		case "ENCRYPTED PRIVATE KEY":
			return nil, nil, warning, fmt.Errorf("%s: the private key is encrypted; store it unencrypted in a file only the exporter can read", path)
		}
	}
	switch {
	case len(certs) == 0 && key == nil:
		return nil, nil, warning, fmt.Errorf("%s holds no PEM certificate or private key (want a CERTIFICATE block and a PRIVATE KEY, RSA PRIVATE KEY or EC PRIVATE KEY block)", path)
	case len(certs) == 0:
		return nil, nil, warning, fmt.Errorf("%s holds no certificate (want a CERTIFICATE block besides the private key)", path)
	case key == nil:
		return nil, nil, warning, fmt.Errorf("%s holds no private key (want a PRIVATE KEY, RSA PRIVATE KEY or EC PRIVATE KEY block besides the certificate)", path)
	}
	type equaler interface{ Equal(crypto.PublicKey) bool }
	for _, c := range certs {
		if pub, ok := c.PublicKey.(equaler); ok && pub.Equal(key.Public()) {
			return b, c, warning, nil
		}
	}
	return nil, nil, warning, fmt.Errorf("%s: no certificate matches the private key", path)
}

func parsePrivateKey(block *pem.Block) (crypto.Signer, error) {
	switch block.Type {
	case "RSA PRIVATE KEY":
		return x509.ParsePKCS1PrivateKey(block.Bytes)
	case "EC PRIVATE KEY":
		return x509.ParseECPrivateKey(block.Bytes)
	}
	k, err := x509.ParsePKCS8PrivateKey(block.Bytes)
	if err != nil {
		return nil, err
	}
	switch k := k.(type) {
	case *rsa.PrivateKey:
		return k, nil
	case *ecdsa.PrivateKey:
		return k, nil
	case ed25519.PrivateKey:
		return k, nil
	}
	return nil, fmt.Errorf("unsupported key type %T", k)
}

// checkKey warns about an EA API key whose expiry is unknown, past or near.
func (v *validator) checkKey(path, key string) {
	claims, err := jwtclaims.Parse(key)
	if err != nil {
		v.warnf(path, "expiry unknown: the key is not a JWT, azure_ea_api_key_expiry_timestamp_seconds will be absent (EA API keys are JWTs, starting eyJ: is this the right key?)")
		return
	}
	exp, ok := jwtclaims.NumericDate(claims, "exp")
	if !ok {
		v.warnf(path, "expiry unknown: the key has no exp claim, azure_ea_api_key_expiry_timestamp_seconds will be absent")
		return
	}
	v.checkExpiry(path, "the API key", exp, "generate a new key in the Azure EA portal")
}

// checkExpiry warns about a credential that has expired or expires within
// ExpiryWarning.
func (v *validator) checkExpiry(path, what string, exp time.Time, remedy string) {
	switch left := exp.Sub(v.now); {
	case left <= 0:
		v.warnf(path, "%s expired on %s (%s ago) and will be refused; %s", what, formatTime(exp), humanDuration(-left), remedy)
	case left < ExpiryWarning:
		v.warnf(path, "%s expires on %s (in %s); %s", what, formatTime(exp), humanDuration(left), remedy)
	}
}

func formatTime(t time.Time) string { return t.UTC().Format("2006-01-02 15:04 UTC") }

// humanDuration renders a duration in days, hours or minutes.
func humanDuration(d time.Duration) string {
	switch {
	case d >= 48*time.Hour:
		return fmt.Sprintf("%d days", int(d/(24*time.Hour)))
	case d >= 2*time.Hour:
		return fmt.Sprintf("%d hours", int(d/time.Hour))
	case d >= 2*time.Minute:
		return fmt.Sprintf("%d minutes", int(d/time.Minute))
	default:
		return "a minute or less"
	}
}
