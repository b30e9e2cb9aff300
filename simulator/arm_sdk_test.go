package simulator

import (
	"context"
	"crypto/x509"
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/Azure/azure-sdk-for-go/sdk/azcore"
	"github.com/Azure/azure-sdk-for-go/sdk/azcore/cloud"
	"github.com/Azure/azure-sdk-for-go/sdk/azcore/policy"
	"github.com/Azure/azure-sdk-for-go/sdk/azidentity"
)

// The Azure SDK's own credentials against the simulated authority: what
// the exporter's ARM source uses.

func sdkOptions(f *armFixture) azcore.ClientOptions {
	return azcore.ClientOptions{
		Cloud:     cloud.Configuration{ActiveDirectoryAuthorityHost: f.ts.URL + "/"},
		Transport: f.c,
		Retry:     policy.RetryOptions{MaxRetries: -1},
	}
}

var armScope = policy.TokenRequestOptions{Scopes: []string{"https://management.azure.com/.default"}}

func (f *armFixture) checkToken(t *testing.T, tok azcore.AccessToken) {
	t.Helper()
	r, body := f.do(t, "GET", f.acct()+"/providers/Microsoft.Consumption/balances?api-version=2024-08-01", tok.Token, "")
	if r.StatusCode != 200 {
		t.Errorf("SDK token refused: %d %s", r.StatusCode, body)
	}
}

func TestARMWithAzidentity(t *testing.T) {
	cc, err := NewClientCertificate("exporter", 24*time.Hour)
	if err != nil {
		t.Fatal(err)
	}
	f := newARMTest(t, Options{}, ARMOptions{ClientCertificates: []*x509.Certificate{cc.Certificate}, TokenLifetime: 2 * time.Minute})
	ctx := context.Background()

	t.Run("client secret", func(t *testing.T) {
		before := f.a.Requests(ARMRouteToken)
		cred, err := azidentity.NewClientSecretCredential(f.a.TenantID(), f.a.ClientID(), f.a.ClientSecret(),
			&azidentity.ClientSecretCredentialOptions{ClientOptions: sdkOptions(f), DisableInstanceDiscovery: true})
		if err != nil {
			t.Fatal(err)
		}
		tok, err := cred.GetToken(ctx, armScope)
		if err != nil {
			t.Fatal(err)
		}
		f.checkToken(t, tok)
		// A two-minute token is within MSAL's five-minute refresh margin:
		// every call fetches a new one (renewal).
		if _, err := cred.GetToken(ctx, armScope); err != nil {
			t.Fatal(err)
		}
		if n := f.a.Requests(ARMRouteToken) - before; n != 2 {
			t.Errorf("%d token requests, want 2 (renewal)", n)
		}
	})
	t.Run("wrong secret", func(t *testing.T) {
		cred, _ := azidentity.NewClientSecretCredential(f.a.TenantID(), f.a.ClientID(), "wrong",
			&azidentity.ClientSecretCredentialOptions{ClientOptions: sdkOptions(f), DisableInstanceDiscovery: true})
		_, err := cred.GetToken(ctx, armScope)
		var afe *azidentity.AuthenticationFailedError
		if !errors.As(err, &afe) || !strings.Contains(err.Error(), "AADSTS7000215") {
			t.Errorf("got %v", err)
		}
	})
	t.Run("client certificate", func(t *testing.T) {
		certs, key, err := azidentity.ParseCertificates(cc.PEM, nil)
		if err != nil {
			t.Fatal(err)
		}
		cred, err := azidentity.NewClientCertificateCredential(f.a.TenantID(), f.a.ClientID(), certs, key,
			&azidentity.ClientCertificateCredentialOptions{ClientOptions: sdkOptions(f), DisableInstanceDiscovery: true})
		if err != nil {
			t.Fatal(err)
		}
		tok, err := cred.GetToken(ctx, armScope)
		if err != nil {
			t.Fatal(err)
		}
		f.checkToken(t, tok)
	})
	t.Run("managed identity, App Service protocol", func(t *testing.T) {
		t.Setenv("IDENTITY_ENDPOINT", f.ts.URL+"/msi/token")
		t.Setenv("IDENTITY_HEADER", f.a.Options().IdentityHeader)
		cred, err := azidentity.NewManagedIdentityCredential(&azidentity.ManagedIdentityCredentialOptions{
			ClientOptions: azcore.ClientOptions{Transport: f.c, Retry: policy.RetryOptions{MaxRetries: -1}},
		})
		if err != nil {
			t.Fatal(err)
		}
		before := f.a.Requests(ARMRouteManagedIdentity)
		tok, err := cred.GetToken(ctx, armScope)
		if err != nil {
			t.Fatal(err)
		}
		f.checkToken(t, tok)
		if f.a.Requests(ARMRouteManagedIdentity) == before {
			t.Error("the managed identity endpoint was not called")
		}
	})
}
