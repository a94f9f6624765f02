// An Axon Webhooks receiver using only Go's standard library.
// Run: AXON_WEBHOOK_SECRET=whsec_… PORT=3000 go run verify_go.go
package main

import (
	"crypto/hmac"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"strconv"
	"strings"
	"sync"
	"time"
)

const toleranceSeconds = 5 * 60

// X-Axon-Signature: t=<unix seconds>,v1=<hex HMAC-SHA256(secret, "<t>.<raw body>")>[,v1=…]
func verifySignature(header string, rawBody []byte, secret string) bool {
	var t string
	var given [][]byte
	for _, item := range strings.Split(header, ",") {
		key, value, _ := strings.Cut(strings.TrimSpace(item), "=")
		if key == "t" {
			t = value
		} else if sig, err := hex.DecodeString(value); key == "v1" && err == nil {
			given = append(given, sig)
		}
	}
	ts, err := strconv.ParseInt(t, 10, 64)
	if age := time.Now().Unix() - ts; err != nil || age > toleranceSeconds || age < -toleranceSeconds {
		return false
	}
	mac := hmac.New(sha256.New, []byte(secret))
	mac.Write([]byte(t + "."))
	mac.Write(rawBody)
	expected := mac.Sum(nil)
	for _, sig := range given {
		if hmac.Equal(sig, expected) {
			return true
		}
	}
	return false
}

func main() {
	secret := os.Getenv("AXON_WEBHOOK_SECRET") // the endpoint's secret, "whsec_…"
	var seen sync.Map                          // event ids handled: use your database in production
	http.HandleFunc("/", func(w http.ResponseWriter, r *http.Request) {
		rawBody, err := io.ReadAll(r.Body) // the exact bytes: never re-serialized JSON
		if err != nil || !verifySignature(r.Header.Get("X-Axon-Signature"), rawBody, secret) {
			http.Error(w, "invalid signature", http.StatusBadRequest)
			return
		}
		w.WriteHeader(http.StatusNoContent) // answer at once, work afterwards
		if _, done := seen.LoadOrStore(r.Header.Get("X-Axon-Event-Id"), true); done {
			return // a redelivery: already handled
		}
		var event struct{ ID, Type string }
		if json.Unmarshal(rawBody, &event) == nil {
			go fmt.Printf("handled %s %s\n", event.Type, event.ID) // the real work goes here
		}
	})
	port := os.Getenv("PORT")
	if port == "" {
		port = "3000"
	}
	listener, err := net.Listen("tcp", "127.0.0.1:"+port)
	if err != nil {
		panic(err)
	}
	fmt.Printf("listening on http://%s\n", listener.Addr())
	panic(http.Serve(listener, nil))
}
