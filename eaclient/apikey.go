package eaclient

import (
	"encoding/base64"
	"encoding/json"
	"errors"
	"strings"
	"time"
)

// KeyExpiry returns the expiry (the "exp" claim) of an EA API key, which is
// a JWT that expires six months after it is generated. It reads the claim
// only and verifies nothing. ok is false when the key is not a JWT or has
// no exp claim.
func KeyExpiry(key string) (exp time.Time, ok bool) {
	claims, err := keyClaims(key)
	if err != nil {
		return time.Time{}, false
	}
	v, found := claims["exp"]
	if !found {
		return time.Time{}, false
	}
	var secs float64
	switch v := v.(type) {
	case float64:
		secs = v
	case json.Number:
		f, err := v.Float64()
		if err != nil {
			return time.Time{}, false
		}
		secs = f
	default:
		return time.Time{}, false
	}
	if secs <= 0 {
		return time.Time{}, false
	}
	return time.Unix(int64(secs), 0).UTC(), true
}

func keyClaims(key string) (map[string]any, error) {
	parts := strings.Split(strings.TrimSpace(key), ".")
	if len(parts) != 3 {
		return nil, errors.New("not a JWT")
	}
	payload, err := base64.RawURLEncoding.DecodeString(strings.TrimRight(parts[1], "="))
	if err != nil {
		return nil, err
	}
	var claims map[string]any
	if err := json.Unmarshal(payload, &claims); err != nil {
		return nil, err
	}
	return claims, nil
}
