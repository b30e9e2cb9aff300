package main

import (
	"crypto/x509"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"strings"
	"time"

	"github.com/alecthomas/kingpin/v2"

	"github.com/azure-ea-exporter/azure_ea_exporter/simulator"
)

// armFlags are the flags of --mode arm.
type armFlags struct {
	caFile, secretFile, certFile, infoFile string
	tenantID, clientID                     string
	tokenLifetime, asyncRetryAfter         time.Duration
	linkLifetime                           time.Duration
	asyncPolls, rowsPerBlob                int
	blobHost, schema                       string
	missingRole                            bool
	denied                                 []string
}

func (f *armFlags) register(app *kingpin.Application) {
	app.Flag("ca-file", "arm: write the PEM of the test CA that signed the HTTPS certificate to this file.").StringVar(&f.caFile)
	app.Flag("client-secret-file", "arm: write the registered app's client secret to this file (mode 0600).").StringVar(&f.secretFile)
	app.Flag("client-cert-file", "arm: generate a client certificate, register it for the app, and write it with its key (PEM, mode 0600) to this file.").StringVar(&f.certFile)
	app.Flag("arm-info-file", "arm: write the tenant id, client id, endpoints and managed-identity settings as JSON to this file.").StringVar(&f.infoFile)
	app.Flag("tenant-id", "arm: tenant id of the simulated directory (default derived from --seed).").StringVar(&f.tenantID)
	app.Flag("client-id", "arm: client id of the registered app (default derived from --seed).").StringVar(&f.clientID)
	app.Flag("token-lifetime", "arm: lifetime of issued access tokens (under 5m makes the SDK fetch one for every call).").Default("1h").DurationVar(&f.tokenLifetime)
	app.Flag("async-polls", "arm: polls answered 202 before a price sheet or Cost Details operation completes (-1: complete at once).").Default("1").IntVar(&f.asyncPolls)
	app.Flag("async-retry-after", "arm: Retry-After of the 202 answers (whole seconds).").Default("1s").DurationVar(&f.asyncRetryAfter)
	app.Flag("link-lifetime", "arm: how long download links stay valid.").Default("1h").DurationVar(&f.linkLifetime)
	app.Flag("cost-details-rows-per-blob", "arm: rows per Cost Details CSV blob.").Default("5000").IntVar(&f.rowsPerBlob)
	app.Flag("cost-details-schema", "arm: Cost Details CSV header variant: standard or legacy.").Default(simulator.CostDetailsSchemaStandard).EnumVar(&f.schema, simulator.CostDetailsSchemaStandard, simulator.CostDetailsSchemaLegacy)
	app.Flag("blob-host", `arm: host name of download links ("" swaps 127.0.0.1 and localhost, "same" keeps the request's).`).StringVar(&f.blobHost)
	app.Flag("missing-role", "arm: the app has no EA billing role: every ARM request is answered 403 AuthorizationFailed.").BoolVar(&f.missingRole)
	app.Flag("deny-route", "arm: answer this route 403 AuthorizationFailed (repeatable), e.g. reservation_transactions.").StringsVar(&f.denied)
}

// armInfo is what --arm-info-file holds.
type armInfo struct {
	Enrollment       string `json:"enrollment"`
	TenantID         string `json:"tenant_id"`
	ClientID         string `json:"client_id"`
	ARMEndpoint      string `json:"arm_endpoint"`
	AuthorityHost    string `json:"authority_host"`
	IdentityEndpoint string `json:"identity_endpoint"` // IDENTITY_ENDPOINT (App Service protocol)
	IdentityHeader   string `json:"identity_header"`   // IDENTITY_HEADER
	ManagedClientID  string `json:"managed_identity_client_id"`
	CAFile           string `json:"ca_file,omitempty"`
}

// setup builds the ARM mode of sim, its TLS material, and writes the files
// the flags ask for. listen is the address served (for the info file).
func (f *armFlags) setup(sim *simulator.Server, listen string) (*simulator.ARM, *simulator.TestTLS, error) {
	tt, err := simulator.NewTestTLS()
	if err != nil {
		return nil, nil, fmt.Errorf("generating the test CA: %w", err)
	}
	role := simulator.RoleEnrollmentReader
	if f.missingRole {
		role = simulator.RoleNone
	}
	o := simulator.ARMOptions{
		TenantID: f.tenantID, ClientID: f.clientID, TokenLifetime: f.tokenLifetime,
		AsyncPolls: f.asyncPolls, AsyncRetryAfter: f.asyncRetryAfter, LinkLifetime: f.linkLifetime,
		CostDetailsRowsPerBlob: f.rowsPerBlob, CostDetailsSchema: f.schema, BlobHost: f.blobHost,
		Role: role, DeniedRoutes: f.denied,
	}
	var cert *simulator.ClientCertificate
	if f.certFile != "" {
		if cert, err = simulator.NewClientCertificate("azure_ea_exporter simulator client", 365*24*time.Hour); err != nil {
			return nil, nil, fmt.Errorf("generating the client certificate: %w", err)
		}
		o.ClientCertificates = []*x509.Certificate{cert.Certificate}
	}
	arm := sim.ARM(o)
	eff := arm.Options()
	write := func(name string, data []byte, mode os.FileMode) error {
		if name == "" {
			return nil
		}
		if err := os.WriteFile(name, data, mode); err != nil {
			return fmt.Errorf("writing %s: %w", name, err)
		}
		return nil
	}
	host := listen
	if strings.HasPrefix(host, ":") {
		host = "127.0.0.1" + host
	}
	base := "https://" + host
	info, _ := json.MarshalIndent(armInfo{
		Enrollment: arm.Enrollment(), TenantID: eff.TenantID, ClientID: eff.ClientID,
		ARMEndpoint: base, AuthorityHost: base + "/", IdentityEndpoint: base + "/msi/token",
		IdentityHeader: eff.IdentityHeader, ManagedClientID: eff.ManagedIdentityClientID, CAFile: f.caFile,
	}, "", "  ")
	var certPEM []byte
	if cert != nil {
		certPEM = cert.PEM
	}
	err = errors.Join(
		write(f.caFile, tt.CAPEM, 0o644),
		write(f.secretFile, []byte(eff.ClientSecret+"\n"), 0o600),
		write(f.certFile, certPEM, 0o600),
		write(f.infoFile, append(info, '\n'), 0o644),
	)
	if err != nil {
		return nil, nil, err
	}
	if f.infoFile == "" {
		fmt.Printf("%s\n", info)
	}
	if f.secretFile == "" {
		fmt.Printf("client secret: %s\n", eff.ClientSecret)
	}
	return arm, tt, nil
}
