// Package jwtclaims reads the claims of a JSON Web Token without verifying
// it. The exporter uses it to learn when a credential expires (an EA API key
// is a JWT whose exp claim is its expiry), never to trust what a token says.
package jwtclaims

import (
	"bytes"
	"encoding/base64"
	"encoding/json"
	"errors"
	"math"
	"strings"
	"time"
)

// ErrNotJWT is returned by Parse for a string that is not a JWT: three
// base64url parts separated by dots, the second a JSON object.
var ErrNotJWT = errors.New("not a JWT")

// maxNumericDate bounds the exp claim: the end of year 9999, past which a
// time is not a useful expiry (and a float would overflow int64).
const maxNumericDate = 253402300799

// Parse returns the claims (the decoded payload) of token, surrounding
// white space ignored. Numbers are json.Number. Nothing is verified: the
// signature is not even decoded.
func Parse(token string) (map[string]any, error) {
	parts := strings.Split(strings.TrimSpace(token), ".")
	if len(parts) != 3 || parts[0] == "" || parts[1] == "" {
		return nil, ErrNotJWT
	}
	payload, err := base64.RawURLEncoding.DecodeString(strings.TrimRight(parts[1], "="))
	if err != nil {
		return nil, ErrNotJWT
	}
	dec := json.NewDecoder(bytes.NewReader(payload))
	dec.UseNumber()
	var claims map[string]any
	if err := dec.Decode(&claims); err != nil || claims == nil || dec.More() {
		return nil, ErrNotJWT
	}
	return claims, nil
}

// Expiry returns the exp claim of token (a NumericDate: seconds since the
// epoch) in UTC. ok is false when token is not a JWT or its exp claim is
// missing, not a number, or not a positive time before the year 10000.
func Expiry(token string) (exp time.Time, ok bool) {
	claims, err := Parse(token)
	if err != nil {
		return time.Time{}, false
	}
	return NumericDate(claims, "exp")
}

// NumericDate returns the named claim as a time (a NumericDate, RFC 7519:
// seconds since the epoch, possibly fractional), in UTC.
func NumericDate(claims map[string]any, name string) (time.Time, bool) {
	var secs float64
	switch v := claims[name].(type) {
	case json.Number:
		if i, err := v.Int64(); err == nil {
			if i <= 0 || i > maxNumericDate {
				return time.Time{}, false
			}
			return time.Unix(i, 0).UTC(), true
		}
		f, err := v.Float64()
		if err != nil {
			return time.Time{}, false
		}
		secs = f
	case float64: // claims built by hand rather than by Parse
		secs = v
	default:
		return time.Time{}, false
	}
	if math.IsNaN(secs) || secs <= 0 || secs > maxNumericDate {
		return time.Time{}, false
	}
	whole, frac := math.Modf(secs)
	return time.Unix(int64(whole), int64(frac*1e9)).UTC(), true
}
