package armclient

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"strings"
	"time"

	"github.com/Azure/azure-sdk-for-go/sdk/azcore"
	"github.com/Azure/azure-sdk-for-go/sdk/azcore/cloud"
	"github.com/Azure/azure-sdk-for-go/sdk/azcore/policy"
	"github.com/Azure/azure-sdk-for-go/sdk/azidentity"

	"github.com/azure-ea-exporter/azure_ea_exporter/billing"
)

// CredentialOptions selects and configures one Microsoft Entra ID
// credential. Set exactly one of ClientSecret, CertificatePEM,
// WorkloadIdentity and ManagedIdentity.
type CredentialOptions struct {
	TenantID string
	// ClientID of the app registration, or of the user-assigned managed
	// identity (empty: the system-assigned one).
	ClientID string

	// ClientSecret of the app registration. SecretExpiry, when set, is
	// reported as the credential's expiry (Entra ID does not tell).
	ClientSecret string
	SecretExpiry time.Time
	// CertificatePEM holds the certificate and its private key (PEM);
	// CertificatePassword decrypts an encrypted key. The certificate's
	// NotAfter is reported as the credential's expiry.
	CertificatePEM      []byte
	CertificatePassword []byte
	// SendCertificateChain sends the x5c header (subject name/issuer auth).
	SendCertificateChain bool
	// WorkloadIdentity uses the federated token file (AKS, GitHub);
	// TokenFilePath defaults to $AZURE_FEDERATED_TOKEN_FILE, and TenantID
	// and ClientID to $AZURE_TENANT_ID and $AZURE_CLIENT_ID.
	WorkloadIdentity bool
	TokenFilePath    string
	// ManagedIdentity uses the host's managed identity.
	ManagedIdentity bool

	// Cloud selects the default AuthorityHost: public (default),
	// us_government or china.
	Cloud string
	// AuthorityHost overrides the Entra ID authority, e.g.
	// https://login.microsoftonline.com/. Instance discovery is disabled
	// for a host that is not one of the clouds' (MSAL would ask
	// login.microsoftonline.com about it).
	AuthorityHost string
	// HTTPClient carries the token requests (tests trust a fake's CA
	// through it); http.DefaultClient's transport when nil.
	HTTPClient *http.Client
}

// Credential is an azcore.TokenCredential that knows its kind and, where
// known, its expiry. It implements billing.CredentialExpirer.
type Credential struct {
	azcore.TokenCredential
	kind   string
	expiry time.Time
}

// Kind is billing.CredentialClientSecret, billing.CredentialClientCert,
// "workload_identity" or "managed_identity".
func (c *Credential) Kind() string { return c.kind }

// CredentialExpiry implements billing.CredentialExpirer.
func (c *Credential) CredentialExpiry() (kind string, expiry time.Time, ok bool) {
	if c.expiry.IsZero() {
		return "", time.Time{}, false
	}
	return c.kind, c.expiry, true
}

// GetToken obtains a token (implements azcore.TokenCredential).
func (c *Credential) GetToken(ctx context.Context, o policy.TokenRequestOptions) (azcore.AccessToken, error) {
	return c.TokenCredential.GetToken(ctx, o)
}

// String never shows the secret.
func (c *Credential) String() string { return "armclient.Credential{kind: " + c.kind + "}" }

// GoString is String.
func (c *Credential) GoString() string { return c.String() }

var _ billing.CredentialExpirer = (*Credential)(nil)

// Credential kinds besides the billing package's.
const (
	CredentialWorkloadIdentity = "workload_identity"
	CredentialManagedIdentity  = "managed_identity"
)

// NewCredential builds the credential opts selects.
func NewCredential(opts CredentialOptions) (*Credential, error) {
	n := 0
	for _, set := range []bool{opts.ClientSecret != "", len(opts.CertificatePEM) > 0, opts.WorkloadIdentity, opts.ManagedIdentity} {
		if set {
			n++
		}
	}
	if n != 1 {
		return nil, errors.New("exactly one of client secret, client certificate, workload identity and managed identity is required")
	}
	authority := opts.AuthorityHost
	if authority == "" {
		var err error
		if authority, err = DefaultAuthorityHost(opts.Cloud); err != nil {
			return nil, err
		}
	}
	if !strings.HasPrefix(authority, "https://") {
		return nil, fmt.Errorf("authority host %q: want an https URL", authority)
	}
	if !strings.HasSuffix(authority, "/") {
		authority += "/"
	}
	disableDiscovery := true
	for _, c := range cloudEndpoints {
		if strings.EqualFold(c.authority, authority) {
			disableDiscovery = false
		}
	}
	co := azcore.ClientOptions{Cloud: cloud.Configuration{ActiveDirectoryAuthorityHost: authority}}
	if opts.HTTPClient != nil {
		co.Transport = opts.HTTPClient
	}

	switch {
	case opts.ClientSecret != "":
		if opts.TenantID == "" || opts.ClientID == "" {
			return nil, errors.New("client secret: tenant id and client id are required")
		}
		cred, err := azidentity.NewClientSecretCredential(opts.TenantID, opts.ClientID, opts.ClientSecret,
			&azidentity.ClientSecretCredentialOptions{ClientOptions: co, DisableInstanceDiscovery: disableDiscovery})
		if err != nil {
			return nil, fmt.Errorf("client secret credential: %w", err)
		}
		return &Credential{TokenCredential: cred, kind: billing.CredentialClientSecret, expiry: opts.SecretExpiry}, nil

	case len(opts.CertificatePEM) > 0:
		if opts.TenantID == "" || opts.ClientID == "" {
			return nil, errors.New("client certificate: tenant id and client id are required")
		}
		certs, key, err := azidentity.ParseCertificates(opts.CertificatePEM, opts.CertificatePassword)
		if err != nil {
			return nil, fmt.Errorf("client certificate: %w", err)
		}
		if len(certs) == 0 {
			return nil, errors.New("client certificate: no certificate in the PEM")
		}
		cred, err := azidentity.NewClientCertificateCredential(opts.TenantID, opts.ClientID, certs, key,
			&azidentity.ClientCertificateCredentialOptions{ClientOptions: co, DisableInstanceDiscovery: disableDiscovery, SendCertificateChain: opts.SendCertificateChain})
		if err != nil {
			return nil, fmt.Errorf("client certificate credential: %w", err)
		}
		// The leaf is the first certificate ParseCertificates returns.
		return &Credential{TokenCredential: cred, kind: billing.CredentialClientCert, expiry: certs[0].NotAfter.UTC()}, nil

	case opts.WorkloadIdentity:
		cred, err := azidentity.NewWorkloadIdentityCredential(&azidentity.WorkloadIdentityCredentialOptions{
			ClientOptions: co, ClientID: opts.ClientID, TenantID: opts.TenantID, TokenFilePath: opts.TokenFilePath,
			DisableInstanceDiscovery: disableDiscovery,
		})
		if err != nil {
			return nil, fmt.Errorf("workload identity credential: %w", err)
		}
		return &Credential{TokenCredential: cred, kind: CredentialWorkloadIdentity}, nil

	default:
		mo := &azidentity.ManagedIdentityCredentialOptions{ClientOptions: azcore.ClientOptions{Transport: co.Transport}}
		if opts.ClientID != "" {
			mo.ID = azidentity.ClientID(opts.ClientID)
		}
		cred, err := azidentity.NewManagedIdentityCredential(mo)
		if err != nil {
			return nil, fmt.Errorf("managed identity credential: %w", err)
		}
		return &Credential{TokenCredential: cred, kind: CredentialManagedIdentity}, nil
	}
}
