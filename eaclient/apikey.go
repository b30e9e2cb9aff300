package eaclient

import (
	"time"

	"github.com/azure-ea-exporter/azure_ea_exporter/internal/jwtclaims"
)

// KeyExpiry returns the expiry (the "exp" claim) of an EA API key, which is
// a JWT that expires six months after it is generated. It reads the claim
// only and verifies nothing. ok is false when the key is not a JWT or has
// no exp claim.
func KeyExpiry(key string) (exp time.Time, ok bool) {
	return jwtclaims.Expiry(key)
}
