package turnserver

import (
	"crypto/hmac"
	"crypto/sha1"
	"encoding/base64"
	"log/slog"
	"net"
	"strconv"
	"strings"
	"time"

	"github.com/pion/turn/v5"
)

// Credentials mints TURN REST credentials: username "<unix-expiry>:<userID>",
// password base64(HMAC-SHA1(secret, username)). coturn's use-auth-secret and
// this package's server accept them until expires.
func Credentials(secret []byte, userID string, expires time.Time) (username, password string) {
	username = strconv.FormatInt(expires.Unix(), 10) + ":" + userID
	return username, restPassword(secret, username)
}

func restPassword(secret []byte, username string) string {
	mac := hmac.New(sha1.New, secret)
	mac.Write([]byte(username))
	return base64.StdEncoding.EncodeToString(mac.Sum(nil))
}

// parseRESTUsername splits "<unix-expiry>:<userID>". The user ID may itself
// contain colons; an empty one is malformed.
func parseRESTUsername(username string) (expiry int64, userID string, ok bool) {
	ts, id, found := strings.Cut(username, ":")
	if !found || id == "" || ts == "" || ts[0] == '+' || ts[0] == '-' {
		return 0, "", false
	}
	expiry, err := strconv.ParseInt(ts, 10, 64)
	if err != nil {
		return 0, "", false
	}
	return expiry, id, true
}

// authHandler returns pion's long-term credential callback for TURN REST
// usernames. It only derives the key; pion checks MESSAGE-INTEGRITY with it,
// so a forged password fails there (see authEvents).
func authHandler(secret []byte, realm string, now func() time.Time, log *slog.Logger) turn.AuthHandler {
	return func(ra *turn.RequestAttributes) (string, []byte, bool) {
		expiry, userID, ok := parseRESTUsername(ra.Username)
		if !ok {
			log.Debug("turn auth rejected", "reason", "malformed username", "username", ra.Username, "src", addrString(ra.SrcAddr), "method", ra.Method.String())
			return "", nil, false
		}
		if expiry < now().Unix() {
			log.Debug("turn auth rejected", "reason", "expired", "username", ra.Username, "src", addrString(ra.SrcAddr), "method", ra.Method.String())
			return "", nil, false
		}
		// The key uses our realm, not the one the client echoed: a client
		// with another realm fails integrity instead of choosing its own.
		return userID, turn.GenerateAuthKey(ra.Username, realm, restPassword(secret, ra.Username)), true
	}
}

// authEvents logs failed MESSAGE-INTEGRITY checks (wrong password or
// secret), which pion decides after authHandler has returned a key.
func authEvents(log *slog.Logger) turn.EventHandler {
	return turn.EventHandler{
		OnAuth: func(src, _ net.Addr, protocol, username, _ string, method string, ok bool) {
			if !ok {
				log.Debug("turn auth rejected", "reason", "bad message integrity", "username", username, "src", addrString(src), "protocol", protocol, "method", method)
			}
		},
	}
}

func addrString(a net.Addr) string {
	if a == nil {
		return ""
	}
	return a.String()
}
