package jwtclaims

import (
	"encoding/base64"
	"errors"
	"testing"
	"time"
)

func token(payload string) string {
	enc := base64.RawURLEncoding
	return enc.EncodeToString([]byte(`{"alg":"RS256","typ":"JWT"}`)) + "." + enc.EncodeToString([]byte(payload)) + ".c2ln"
}

func TestExpiry(t *testing.T) {
	for _, tc := range []struct {
		name, token string
		want        time.Time // zero: ok is false
	}{
		{"integer", token(`{"exp":1586390069}`), time.Unix(1586390069, 0)},
		{"fraction", token(`{"exp":1586390069.5}`), time.Unix(1586390069, 5e8)},
		{"exponent", token(`{"exp":1.586390069e9}`), time.Unix(1586390069, 0)},
		{"white space", " \n" + token(`{"exp":1586390069}`) + "\n", time.Unix(1586390069, 0)},
		{"padded", "a." + base64.URLEncoding.EncodeToString([]byte(`{"exp":1586390069}`)) + ".c", time.Unix(1586390069, 0)},
		{"not a jwt", "plainkey", time.Time{}},
		{"two parts", "a.b", time.Time{}},
		{"four parts", "a.b.c.d", time.Time{}},
		{"empty payload", "a..c", time.Time{}},
		{"bad base64", "a.!!!.c", time.Time{}},
		{"not json", "a.bm90IGpzb24.c", time.Time{}},
		{"not an object", token(`[1]`), time.Time{}},
		{"trailing data", token(`{"exp":1}{}`), time.Time{}},
		{"no exp", token(`{"foo":1}`), time.Time{}},
		{"string exp", token(`{"exp":"soon"}`), time.Time{}},
		{"zero", token(`{"exp":0}`), time.Time{}},
		{"negative", token(`{"exp":-5}`), time.Time{}},
		{"far future", token(`{"exp":1e300}`), time.Time{}},
		{"huge integer", token(`{"exp":99999999999999999999999}`), time.Time{}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			exp, ok := Expiry(tc.token)
			if ok != !tc.want.IsZero() || ok && !exp.Equal(tc.want) {
				t.Errorf("Expiry = %v %v, want %v", exp, ok, tc.want)
			}
			if ok && exp.Location() != time.UTC {
				t.Errorf("location %v", exp.Location())
			}
		})
	}
}

func TestParse(t *testing.T) {
	claims, err := Parse(token(`{"exp":1586390069,"EnrollmentNumber":"100"}`))
	if err != nil || claims["EnrollmentNumber"] != "100" {
		t.Errorf("%v %v", claims, err)
	}
	if _, err := Parse("plainkey"); !errors.Is(err, ErrNotJWT) {
		t.Errorf("err = %v", err)
	}
}

func TestNumericDateFloat(t *testing.T) {
	if got, ok := NumericDate(map[string]any{"iat": 1586390069.0}, "iat"); !ok || got.Unix() != 1586390069 {
		t.Errorf("%v %v", got, ok)
	}
}
