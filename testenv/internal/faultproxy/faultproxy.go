// Package faultproxy is an HTTP(S) pass-through proxy for a kube-apiserver
// that, for a configurable fraction of requests, resets the connection,
// answers 500, answers 429 with Retry-After, or delays the request.
package faultproxy

import (
	"context"
	"crypto/tls"
	"encoding/json"
	"errors"
	"fmt"
	"math/rand"
	"net"
	"net/http"
	"net/http/httputil"
	"net/url"
	"strconv"
	"sync"
	"sync/atomic"
	"time"
)

// StatsPath answers the proxy's own counters as JSON; it is never forwarded.
const StatsPath = "/testenv-proxy/stats"

// FaultHeader names the fault in responses the proxy made up itself.
const FaultHeader = "X-Testenv-Fault"

// Config configures a Proxy.
type Config struct {
	Upstream   *url.URL
	Reset      float64       // fraction of requests whose connection is reset
	Status500  float64       // fraction answered 500
	Status429  float64       // fraction answered 429 with Retry-After
	Delay      time.Duration // delay added to delayed requests
	DelayRate  float64       // fraction of requests delayed (independent of the above)
	RetryAfter int           // seconds in Retry-After of 429 answers
	Seed       int64         // 0 = time-based

	// UpstreamTLS verifies the upstream; its Certificates (an admin client
	// certificate), if any, are used only for requests whose client
	// authenticated with a client certificate, which the proxy then
	// forwards as an impersonation of that certificate's user and groups.
	UpstreamTLS *tls.Config
}

// Stats counts what the proxy did.
type Stats struct {
	Requests  int64 `json:"requests"`
	Resets    int64 `json:"resets"`
	Status500 int64 `json:"status500"`
	Status429 int64 `json:"status429"`
	Delayed   int64 `json:"delayed"`
	Forwarded int64 `json:"forwarded"`
}

// Proxy is an http.Handler.
type Proxy struct {
	cfg   Config
	mu    sync.Mutex
	rng   *rand.Rand
	stats Stats

	plain, admin http.RoundTripper
	rp           *httputil.ReverseProxy
}

type ctxKey struct{}

// New builds a Proxy.
func New(cfg Config) (*Proxy, error) {
	if cfg.Upstream == nil {
		return nil, errors.New("no upstream")
	}
	for _, p := range []float64{cfg.Reset, cfg.Status500, cfg.Status429, cfg.DelayRate} {
		if p < 0 || p > 1 {
			return nil, fmt.Errorf("rate %v not in [0,1]", p)
		}
	}
	if cfg.Reset+cfg.Status500+cfg.Status429 > 1 {
		return nil, errors.New("reset + status500 + status429 must not exceed 1")
	}
	if cfg.RetryAfter <= 0 {
		cfg.RetryAfter = 1
	}
	seed := cfg.Seed
	if seed == 0 {
		seed = time.Now().UnixNano()
	}
	p := &Proxy{cfg: cfg, rng: rand.New(rand.NewSource(seed))}
	mk := func(withCert bool) http.RoundTripper {
		var tc *tls.Config
		if cfg.UpstreamTLS != nil {
			tc = cfg.UpstreamTLS.Clone()
			if !withCert {
				tc.Certificates = nil
			}
		}
		return &http.Transport{
			Proxy:               nil,
			DialContext:         (&net.Dialer{Timeout: 10 * time.Second, KeepAlive: 30 * time.Second}).DialContext,
			TLSClientConfig:     tc,
			MaxIdleConnsPerHost: 64,
			IdleConnTimeout:     90 * time.Second,
			TLSHandshakeTimeout: 10 * time.Second,
		}
	}
	p.plain = mk(false)
	p.admin = mk(true)
	p.rp = &httputil.ReverseProxy{
		Rewrite: func(r *httputil.ProxyRequest) {
			r.SetURL(cfg.Upstream)
			r.Out.Host = cfg.Upstream.Host
		},
		FlushInterval: -1,
		Transport:     roundTripperFunc(p.roundTrip),
		ErrorHandler: func(w http.ResponseWriter, r *http.Request, err error) {
			if errors.Is(err, context.Canceled) {
				return
			}
			http.Error(w, "testenv proxy: upstream error: "+err.Error(), http.StatusBadGateway)
		},
	}
	return p, nil
}

type roundTripperFunc func(*http.Request) (*http.Response, error)

func (f roundTripperFunc) RoundTrip(r *http.Request) (*http.Response, error) { return f(r) }

func (p *Proxy) roundTrip(r *http.Request) (*http.Response, error) {
	if v, ok := r.Context().Value(ctxKey{}).(bool); ok && v {
		return p.admin.RoundTrip(r)
	}
	return p.plain.RoundTrip(r)
}

// Stats returns a copy of the counters.
func (p *Proxy) Stats() Stats {
	return Stats{
		Requests:  atomic.LoadInt64(&p.stats.Requests),
		Resets:    atomic.LoadInt64(&p.stats.Resets),
		Status500: atomic.LoadInt64(&p.stats.Status500),
		Status429: atomic.LoadInt64(&p.stats.Status429),
		Delayed:   atomic.LoadInt64(&p.stats.Delayed),
		Forwarded: atomic.LoadInt64(&p.stats.Forwarded),
	}
}

func (p *Proxy) draw() (fault float64, delay float64) {
	p.mu.Lock()
	defer p.mu.Unlock()
	return p.rng.Float64(), p.rng.Float64()
}

func (p *Proxy) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	if r.URL.Path == StatsPath {
		w.Header().Set("Content-Type", "application/json")
		_ = json.NewEncoder(w).Encode(p.Stats())
		return
	}
	atomic.AddInt64(&p.stats.Requests, 1)
	u, d := p.draw()
	if p.cfg.Delay > 0 && d < p.cfg.DelayRate {
		atomic.AddInt64(&p.stats.Delayed, 1)
		select {
		case <-time.After(p.cfg.Delay):
		case <-r.Context().Done():
			return
		}
	}
	switch {
	case u < p.cfg.Reset:
		atomic.AddInt64(&p.stats.Resets, 1)
		resetConnection(w)
		return
	case u < p.cfg.Reset+p.cfg.Status500:
		atomic.AddInt64(&p.stats.Status500, 1)
		writeStatus(w, http.StatusInternalServerError, "InternalError", "testenv proxy: injected internal error", 0)
		return
	case u < p.cfg.Reset+p.cfg.Status500+p.cfg.Status429:
		atomic.AddInt64(&p.stats.Status429, 1)
		writeStatus(w, http.StatusTooManyRequests, "TooManyRequests", "testenv proxy: injected throttling", p.cfg.RetryAfter)
		return
	}
	atomic.AddInt64(&p.stats.Forwarded, 1)
	out := r
	if r.Header.Get("Authorization") == "" && r.TLS != nil && len(r.TLS.PeerCertificates) > 0 && p.cfg.UpstreamTLS != nil && len(p.cfg.UpstreamTLS.Certificates) > 0 {
		// The client proved its identity with a certificate the proxy cannot
		// present upstream: forward as that identity via impersonation.
		leaf := r.TLS.PeerCertificates[0]
		out = r.Clone(context.WithValue(r.Context(), ctxKey{}, true))
		for k := range out.Header {
			if len(k) > len("Impersonate-") && http.CanonicalHeaderKey(k[:len("Impersonate-")]) == "Impersonate-" {
				out.Header.Del(k)
			}
		}
		out.Header.Set("Impersonate-User", leaf.Subject.CommonName)
		for _, g := range leaf.Subject.Organization {
			out.Header.Add("Impersonate-Group", g)
		}
	}
	p.rp.ServeHTTP(w, out)
}

// writeStatus answers with a Kubernetes metav1.Status body, as the
// apiserver does for its own errors.
func writeStatus(w http.ResponseWriter, code int, reason, msg string, retryAfter int) {
	w.Header().Set("Content-Type", "application/json")
	w.Header().Set(FaultHeader, strconv.Itoa(code))
	body := map[string]interface{}{
		"kind": "Status", "apiVersion": "v1", "metadata": map[string]interface{}{},
		"status": "Failure", "message": msg, "reason": reason, "code": code,
	}
	if retryAfter > 0 {
		w.Header().Set("Retry-After", strconv.Itoa(retryAfter))
		body["details"] = map[string]interface{}{"retryAfterSeconds": retryAfter}
	}
	w.WriteHeader(code)
	_ = json.NewEncoder(w).Encode(body)
}

// resetConnection closes the client's TCP connection with an RST.
func resetConnection(w http.ResponseWriter) {
	hj, ok := w.(http.Hijacker)
	if !ok {
		panic(http.ErrAbortHandler) // HTTP/2: abort the stream
	}
	conn, _, err := hj.Hijack()
	if err != nil {
		panic(http.ErrAbortHandler)
	}
	raw := conn
	if tc, ok := conn.(*tls.Conn); ok {
		raw = tc.NetConn()
	}
	if tcp, ok := raw.(*net.TCPConn); ok {
		_ = tcp.SetLinger(0)
	}
	_ = raw.Close()
}

// Serve runs the proxy on ln until ctx is done. With serverTLS set it
// terminates TLS (HTTP/1.1 only, so that connections can be reset), asking
// for, but not requiring, a client certificate verified by clientCAs.
func (p *Proxy) Serve(ctx context.Context, ln net.Listener, serverTLS *tls.Config) error {
	srv := &http.Server{
		Handler:           p,
		ReadHeaderTimeout: 30 * time.Second,
		TLSNextProto:      map[string]func(*http.Server, *tls.Conn, http.Handler){}, // no HTTP/2
	}
	if serverTLS != nil {
		tc := serverTLS.Clone()
		tc.NextProtos = []string{"http/1.1"}
		ln = tls.NewListener(ln, tc)
	}
	go func() {
		<-ctx.Done()
		sctx, cancel := context.WithTimeout(context.Background(), 2*time.Second)
		defer cancel()
		_ = srv.Shutdown(sctx)
		_ = srv.Close()
	}()
	err := srv.Serve(ln)
	if errors.Is(err, http.ErrServerClosed) {
		return nil
	}
	return err
}
