package main

import (
	"context"
	"crypto/tls"
	"crypto/x509"
	"flag"
	"fmt"
	"net"
	"net/url"
	"os"
	"os/signal"
	"syscall"

	"k8s.io/client-go/tools/clientcmd"

	"kudoc.dev/testenv/internal/faultproxy"
	"kudoc.dev/testenv/internal/pki"
)

// cmdProxy runs the fault-injecting proxy in the foreground until SIGTERM.
func cmdProxy(args []string) error {
	fs := flag.NewFlagSet("proxy", flag.ContinueOnError)
	listen := fs.String("listen", "127.0.0.1:0", "loopback address to listen on")
	upstream := fs.String("upstream", "", "upstream URL (default: the apiserver of --dir)")
	reset := fs.Float64("reset", 0, "fraction of requests whose connection is reset")
	s500 := fs.Float64("status500", 0, "fraction of requests answered 500")
	s429 := fs.Float64("status429", 0, "fraction of requests answered 429 with Retry-After")
	delay := fs.Duration("delay", 0, "delay added to delayed requests")
	delayRate := fs.Float64("delay-rate", 1, "fraction of requests delayed by --delay")
	retryAfter := fs.Int("retry-after", 1, "Retry-After seconds of 429 answers")
	seed := fs.Int64("seed", 0, "random seed (0: time-based)")
	dir := dirFlag(fs)
	kubeconfigOut := fs.String("kubeconfig-out", "", "write a copy of DIR/kubeconfig that points at the proxy")
	if err := fs.Parse(args); err != nil {
		return err
	}
	host, _, err := net.SplitHostPort(*listen)
	if err != nil {
		return err
	}
	if ip := net.ParseIP(host); host != "localhost" && (ip == nil || !ip.IsLoopback()) {
		return fmt.Errorf("--listen must be a loopback address, got %q", *listen)
	}
	p, err := absDir(*dir)
	if err != nil {
		return err
	}
	if *upstream == "" {
		s, err := readState(p)
		if err != nil {
			return fmt.Errorf("no --upstream and no running cluster in %s: %w", p.dir, err)
		}
		*upstream = s.Server
	}
	up, err := url.Parse(*upstream)
	if err != nil {
		return err
	}
	cfg := faultproxy.Config{
		Upstream: up, Reset: *reset, Status500: *s500, Status429: *s429,
		Delay: *delay, DelayRate: *delayRate, RetryAfter: *retryAfter, Seed: *seed,
	}
	var serverTLS *tls.Config
	if up.Scheme == "https" {
		keys := pki.Paths(p.j("pki"))
		caPEM, err := os.ReadFile(keys.CACert)
		if err != nil {
			return fmt.Errorf("https upstream needs the cluster's CA from --dir: %w", err)
		}
		pool := x509.NewCertPool()
		pool.AppendCertsFromPEM(caPEM)
		admin, err := tls.LoadX509KeyPair(keys.AdminCert, keys.AdminKey)
		if err != nil {
			return err
		}
		cfg.UpstreamTLS = &tls.Config{RootCAs: pool, Certificates: []tls.Certificate{admin}}
		ca, caKey, err := pki.LoadCA(keys.CACert, keys.CAKey)
		if err != nil {
			return err
		}
		serving, err := pki.IssueServing(ca, caKey)
		if err != nil {
			return err
		}
		serverTLS = &tls.Config{
			Certificates: []tls.Certificate{serving},
			ClientAuth:   tls.VerifyClientCertIfGiven,
			ClientCAs:    pool,
		}
	}
	px, err := faultproxy.New(cfg)
	if err != nil {
		return err
	}
	ln, err := net.Listen("tcp", *listen)
	if err != nil {
		return err
	}
	scheme := "http"
	if serverTLS != nil {
		scheme = "https"
	}
	addr := fmt.Sprintf("%s://%s", scheme, ln.Addr().String())
	if *kubeconfigOut != "" {
		kc, err := clientcmd.LoadFromFile(p.kubeconfig())
		if err != nil {
			return err
		}
		for _, c := range kc.Clusters {
			c.Server = addr
		}
		if err := clientcmd.WriteToFile(*kc, *kubeconfigOut); err != nil {
			return err
		}
	}
	ctx, stop := signal.NotifyContext(context.Background(), syscall.SIGTERM, syscall.SIGINT)
	defer stop()
	fmt.Printf("testenv proxy: listening on %s -> %s (reset %.3f, 500 %.3f, 429 %.3f, delay %s at %.3f)\n",
		addr, up, *reset, *s500, *s429, *delay, *delayRate)
	err = px.Serve(ctx, ln, serverTLS)
	st := px.Stats()
	fmt.Fprintf(os.Stderr, "testenv proxy: %d requests, %d resets, %d x500, %d x429, %d delayed, %d forwarded\n",
		st.Requests, st.Resets, st.Status500, st.Status429, st.Delayed, st.Forwarded)
	return err
}
