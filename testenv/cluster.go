package main

import (
	"context"
	"crypto/tls"
	"crypto/x509"
	"encoding/json"
	"flag"
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"os/exec"
	"os/signal"
	"path/filepath"
	"runtime"
	"strconv"
	"strings"
	"syscall"
	"time"

	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/client-go/informers"
	"k8s.io/client-go/kubernetes"
	"k8s.io/client-go/tools/clientcmd"
	clientcmdapi "k8s.io/client-go/tools/clientcmd/api"
	"k8s.io/component-base/version"

	"kudoc.dev/testenv/internal/fakenode"
	"kudoc.dev/testenv/internal/leader"
	"kudoc.dev/testenv/internal/pki"
)

// controllers are the kube-controller-manager controllers testenv runs.
// node-lifecycle is left out on purpose: the fake node sends no heartbeats.
var controllers = []string{
	"deployment-controller", "replicaset-controller", "statefulset-controller", "daemonset-controller",
	"job-controller", "cronjob-controller", "garbage-collector-controller", "namespace-controller",
	"serviceaccount-controller", "serviceaccount-token-controller", "pod-garbage-collector-controller",
	"ttl-after-finished-controller", "endpoints-controller", "endpointslice-controller",
	"persistentvolume-binder-controller", "replicationcontroller-controller", "disruption-controller",
	"clusterrole-aggregation-controller", "root-ca-certificate-publisher-controller",
	"resourcequota-controller", "persistentvolumeclaim-protection-controller",
	"persistentvolume-protection-controller",
}

// clusterState is DIR/state.json, written by the supervisor once the
// cluster is ready and removed when it stops.
type clusterState struct {
	Supervisor    int       `json:"supervisorPid"`
	Etcd          int       `json:"etcdPid"`
	APIServer     int       `json:"apiserverPid"`
	KCM           int       `json:"controllerManagerPid"`
	Server        string    `json:"server"`
	Ports         []int     `json:"ports"`
	Version       string    `json:"version"`
	Kubeconfig    string    `json:"kubeconfig"`
	StartedAt     time.Time `json:"startedAt"`
	StartupMillis int64     `json:"startupMillis"`
}

type paths struct{ dir string }

func (p paths) j(n ...string) string  { return filepath.Join(append([]string{p.dir}, n...)...) }
func (p paths) state() string         { return p.j("state.json") }
func (p paths) pidFile() string       { return p.j("supervisor.pid") }
func (p paths) kubeconfig() string    { return p.j("kubeconfig") }
func (p paths) kcmKubeconfig() string { return p.j("pki", "controller-manager.kubeconfig") }
func (p paths) logs() string          { return p.j("logs") }

func dirFlag(fs *flag.FlagSet) *string {
	def := os.Getenv("KUDOC_TESTENV_DIR")
	if def == "" {
		def = ".testenv"
	}
	return fs.String("dir", def, "state directory (kubeconfig, logs, etcd data)")
}

// parseDirOnly parses the arguments of a command whose only flag is --dir.
func parseDirOnly(name string, args []string) (paths, error) {
	fs := flag.NewFlagSet(name, flag.ContinueOnError)
	dir := dirFlag(fs)
	if err := fs.Parse(args); err != nil {
		return paths{}, err
	}
	return absDir(*dir)
}

func absDir(d string) (paths, error) {
	a, err := filepath.Abs(d)
	return paths{a}, err
}

func readState(p paths) (*clusterState, error) {
	b, err := os.ReadFile(p.state())
	if err != nil {
		return nil, err
	}
	var s clusterState
	if err := json.Unmarshal(b, &s); err != nil {
		return nil, err
	}
	return &s, nil
}

func writeFileAtomic(path string, data []byte, mode os.FileMode) error {
	tmp := path + ".tmp"
	if err := os.WriteFile(tmp, data, mode); err != nil {
		return err
	}
	return os.Rename(tmp, path)
}

// supervisorAlive tells whether pid is a live testenv supervisor for dir.
func supervisorAlive(pid int, dir string) bool {
	if pid <= 0 {
		return false
	}
	b, err := os.ReadFile(fmt.Sprintf("/proc/%d/cmdline", pid))
	if err != nil {
		return false
	}
	st, err := os.ReadFile(fmt.Sprintf("/proc/%d/stat", pid))
	if err == nil {
		// field 3 is the state; Z = zombie
		if i := strings.LastIndexByte(string(st), ')'); i > 0 && len(st) > i+2 && st[i+2] == 'Z' {
			return false
		}
	}
	args := strings.Split(strings.TrimRight(string(b), "\x00"), "\x00")
	if len(args) < 2 || args[1] != "supervise" {
		return false
	}
	for _, a := range args {
		if a == dir || a == "--dir="+dir {
			return true
		}
	}
	return false
}

func readPid(p paths) int {
	b, err := os.ReadFile(p.pidFile())
	if err != nil {
		return 0
	}
	n, _ := strconv.Atoi(strings.TrimSpace(string(b)))
	return n
}

// healthy reports whether the cluster of p is up and answers /readyz.
func healthy(p paths) (*clusterState, bool) {
	s, err := readState(p)
	if err != nil || !supervisorAlive(s.Supervisor, p.dir) {
		return s, false
	}
	return s, readyz(p, s.Server, 3*time.Second) == nil
}

func httpClientFor(p paths) (*http.Client, error) {
	ca, err := os.ReadFile(p.j("pki", "ca.crt"))
	if err != nil {
		return nil, err
	}
	pool := x509.NewCertPool()
	pool.AppendCertsFromPEM(ca)
	return &http.Client{Transport: &http.Transport{TLSClientConfig: &tls.Config{RootCAs: pool}}}, nil
}

func readyz(p paths, server string, timeout time.Duration) error {
	c, err := httpClientFor(p)
	if err != nil {
		return err
	}
	c.Timeout = timeout
	resp, err := c.Get(server + "/readyz")
	if err != nil {
		return err
	}
	defer resp.Body.Close()
	body, _ := io.ReadAll(io.LimitReader(resp.Body, 4096))
	if resp.StatusCode != 200 {
		return fmt.Errorf("/readyz: %d %s", resp.StatusCode, strings.TrimSpace(string(body)))
	}
	return nil
}

// ---- up ----

func cmdUp(args []string) error {
	fs := flag.NewFlagSet("up", flag.ContinueOnError)
	dir := dirFlag(fs)
	timeout := fs.Duration("timeout", 3*time.Minute, "how long to wait for the cluster to be ready")
	if err := fs.Parse(args); err != nil {
		return err
	}
	p, err := absDir(*dir)
	if err != nil {
		return err
	}
	t0 := time.Now()
	if s, ok := healthy(p); ok {
		fmt.Printf("testenv: already running (%s, supervisor pid %d)\nkubeconfig: %s\n", s.Server, s.Supervisor, p.kubeconfig())
		return nil
	}
	// Leftovers of a dead or unhealthy cluster go first.
	if err := stopCluster(p, 30*time.Second); err != nil {
		return err
	}
	if err := os.MkdirAll(p.logs(), 0o755); err != nil {
		return err
	}
	// keep the state out of git without touching the repository's .gitignore
	_ = os.WriteFile(p.j(".gitignore"), []byte("*\n"), 0o644)
	self, err := os.Executable()
	if err != nil {
		return err
	}
	logf, err := os.OpenFile(filepath.Join(p.logs(), "supervisor.log"), os.O_CREATE|os.O_WRONLY|os.O_TRUNC, 0o644)
	if err != nil {
		return err
	}
	defer logf.Close()
	devnull, err := os.Open(os.DevNull)
	if err != nil {
		return err
	}
	defer devnull.Close()
	cmd := exec.Command(self, "supervise", "--dir", p.dir)
	cmd.Stdin, cmd.Stdout, cmd.Stderr = devnull, logf, logf
	cmd.Dir = p.dir
	cmd.SysProcAttr = &syscall.SysProcAttr{Setsid: true} // outlives this command, its own process group
	if err := cmd.Start(); err != nil {
		return err
	}
	exited := make(chan error, 1)
	go func() { exited <- cmd.Wait() }()
	deadline := time.After(*timeout)
	tick := time.NewTicker(100 * time.Millisecond)
	defer tick.Stop()
	for {
		select {
		case err := <-exited:
			return fmt.Errorf("supervisor exited before the cluster was ready (%v); logs in %s:\n%s", err, p.logs(), tail(filepath.Join(p.logs(), "supervisor.log"), 30))
		case <-deadline:
			_ = stopCluster(p, 10*time.Second)
			return fmt.Errorf("cluster not ready after %s; logs in %s:\n%s", *timeout, p.logs(), tail(filepath.Join(p.logs(), "supervisor.log"), 30))
		case <-tick.C:
			s, err := readState(p)
			if err == nil && s.Supervisor == cmd.Process.Pid {
				fmt.Printf("testenv: cluster ready in %.1fs (%s, Kubernetes %s, supervisor pid %d)\nkubeconfig: %s\n",
					time.Since(t0).Seconds(), s.Server, s.Version, s.Supervisor, p.kubeconfig())
				_ = cmd.Process.Release()
				return nil
			}
		}
	}
}

func tail(path string, n int) string {
	b, err := os.ReadFile(path)
	if err != nil {
		return ""
	}
	lines := strings.Split(strings.TrimRight(string(b), "\n"), "\n")
	if len(lines) > n {
		lines = lines[len(lines)-n:]
	}
	return strings.Join(lines, "\n")
}

// ---- down / status ----

func cmdDown(args []string) error {
	p, err := parseDirOnly("down", args)
	if err != nil {
		return err
	}
	if _, err := os.Stat(p.dir); os.IsNotExist(err) {
		fmt.Println("testenv: not running")
		return nil
	}
	if err := stopCluster(p, 30*time.Second); err != nil {
		return err
	}
	fmt.Println("testenv: stopped")
	return nil
}

// stopCluster stops the supervisor of p (which stops its children), kills
// whatever is left of its process group, and waits until its ports close.
func stopCluster(p paths, grace time.Duration) error {
	s, _ := readState(p)
	pid := readPid(p)
	if pid == 0 && s != nil {
		pid = s.Supervisor
	}
	if supervisorAlive(pid, p.dir) {
		_ = syscall.Kill(pid, syscall.SIGTERM)
		deadline := time.Now().Add(grace)
		for supervisorAlive(pid, p.dir) && time.Now().Before(deadline) {
			time.Sleep(50 * time.Millisecond)
		}
		if supervisorAlive(pid, p.dir) {
			_ = syscall.Kill(-pid, syscall.SIGKILL)
			_ = syscall.Kill(pid, syscall.SIGKILL)
		}
	}
	if s != nil {
		// Children die with the supervisor (Pdeathsig); make sure anyway.
		for _, c := range []int{s.KCM, s.APIServer, s.Etcd} {
			if c > 0 && childOf(c, p.dir) {
				_ = syscall.Kill(c, syscall.SIGKILL)
			}
		}
		deadline := time.Now().Add(15 * time.Second)
		for _, port := range s.Ports {
			for portListening(port) && time.Now().Before(deadline) {
				time.Sleep(50 * time.Millisecond)
			}
			if portListening(port) {
				return fmt.Errorf("port %d still listening after stop", port)
			}
		}
	}
	_ = os.Remove(p.state())
	_ = os.Remove(p.pidFile())
	return nil
}

// childOf tells whether pid is a testenv component started for dir.
func childOf(pid int, dir string) bool {
	b, err := os.ReadFile(fmt.Sprintf("/proc/%d/cmdline", pid))
	if err != nil {
		return false
	}
	return strings.Contains(string(b), dir)
}

func portListening(port int) bool {
	c, err := net.DialTimeout("tcp", net.JoinHostPort("127.0.0.1", strconv.Itoa(port)), 200*time.Millisecond)
	if err != nil {
		return false
	}
	_ = c.Close()
	return true
}

func cmdStatus(args []string) error {
	p, err := parseDirOnly("status", args)
	if err != nil {
		return err
	}
	s, ok := healthy(p)
	if !ok {
		if s != nil && supervisorAlive(s.Supervisor, p.dir) {
			fmt.Printf("testenv: unhealthy (supervisor pid %d, %s)\n", s.Supervisor, s.Server)
		} else if pid := readPid(p); supervisorAlive(pid, p.dir) {
			fmt.Printf("testenv: starting (supervisor pid %d)\n", pid)
		} else {
			fmt.Println("testenv: not running")
		}
		return errSilentExit{1}
	}
	fmt.Printf("testenv: running\nserver: %s\nversion: %s\nkubeconfig: %s\nsupervisor: %d  etcd: %d  kube-apiserver: %d  kube-controller-manager: %d\nstarted: %s (ready after %.1fs)\n",
		s.Server, s.Version, p.kubeconfig(), s.Supervisor, s.Etcd, s.APIServer, s.KCM,
		s.StartedAt.Format(time.RFC3339), float64(s.StartupMillis)/1000)
	return nil
}

type errSilentExit struct{ code int }

func (e errSilentExit) Error() string { return "exit " + strconv.Itoa(e.code) }

// ---- supervise ----

// freePorts reserves n distinct free loopback ports.
func freePorts(n int) ([]int, error) {
	var ls []net.Listener
	defer func() {
		for _, l := range ls {
			_ = l.Close()
		}
	}()
	var ports []int
	for i := 0; i < n; i++ {
		l, err := net.Listen("tcp", "127.0.0.1:0")
		if err != nil {
			return nil, err
		}
		ls = append(ls, l)
		ports = append(ports, l.Addr().(*net.TCPAddr).Port)
	}
	return ports, nil
}

// spawner starts every child from one locked OS thread that never exits:
// Pdeathsig fires when the *thread* that forked the child dies, so the
// thread must live as long as the supervisor.
type spawner struct{ reqs chan spawnReq }

type spawnReq struct {
	cmd  *exec.Cmd
	done chan error
}

func newSpawner() *spawner {
	s := &spawner{reqs: make(chan spawnReq)}
	go func() {
		runtime.LockOSThread() // never unlocked: the thread lives until exit
		for r := range s.reqs {
			r.done <- r.cmd.Start()
		}
	}()
	return s
}

func (s *spawner) start(cmd *exec.Cmd) error {
	if cmd.SysProcAttr == nil {
		cmd.SysProcAttr = &syscall.SysProcAttr{}
	}
	cmd.SysProcAttr.Pdeathsig = syscall.SIGKILL
	done := make(chan error, 1)
	s.reqs <- spawnReq{cmd, done}
	return <-done
}

type child struct {
	name string
	cmd  *exec.Cmd
	done chan struct{}
	err  error
}

func (c *child) stop(grace time.Duration) {
	if c == nil || c.cmd.Process == nil {
		return
	}
	_ = c.cmd.Process.Signal(syscall.SIGTERM)
	select {
	case <-c.done:
	case <-time.After(grace):
		_ = c.cmd.Process.Kill()
		<-c.done
	}
}

func cmdSupervise(args []string) error {
	p, err := parseDirOnly("supervise", args)
	if err != nil {
		return err
	}
	t0 := time.Now()
	logStep := func(format string, a ...interface{}) {
		fmt.Fprintf(os.Stderr, "%s [%5.1fs] %s\n", time.Now().Format("15:04:05.000"), time.Since(t0).Seconds(), fmt.Sprintf(format, a...))
	}
	ctx, stopSignals := signal.NotifyContext(context.Background(), syscall.SIGTERM, syscall.SIGINT, syscall.SIGHUP)
	defer stopSignals()
	if err := writeFileAtomic(p.pidFile(), []byte(strconv.Itoa(os.Getpid())), 0o644); err != nil {
		return err
	}
	defer os.Remove(p.pidFile())
	defer os.Remove(p.state())

	// fresh cluster each time
	for _, d := range []string{"etcd", "pki"} {
		if err := os.RemoveAll(p.j(d)); err != nil {
			return err
		}
	}
	_ = os.Remove(p.kubeconfig())
	keys := pki.Paths(p.j("pki"))
	if err := pki.Generate(keys); err != nil {
		return fmt.Errorf("pki: %w", err)
	}
	ports, err := freePorts(3)
	if err != nil {
		return err
	}
	etcdPort, peerPort, apiPort := ports[0], ports[1], ports[2]
	server := fmt.Sprintf("https://127.0.0.1:%d", apiPort)
	self, err := os.Executable()
	if err != nil {
		return err
	}
	sp := newSpawner()
	exits := make(chan *child, 3)
	var children []*child
	startChild := func(name string, args ...string) (*child, error) {
		lf, err := os.OpenFile(filepath.Join(p.logs(), name+".log"), os.O_CREATE|os.O_WRONLY|os.O_TRUNC, 0o644)
		if err != nil {
			return nil, err
		}
		cmd := exec.Command(self, append([]string{name}, args...)...)
		cmd.Stdout, cmd.Stderr = lf, lf
		cmd.Dir = p.dir
		if err := sp.start(cmd); err != nil {
			lf.Close()
			return nil, fmt.Errorf("start %s: %w", name, err)
		}
		c := &child{name: name, cmd: cmd, done: make(chan struct{})}
		go func() {
			c.err = cmd.Wait()
			lf.Close()
			close(c.done)
			exits <- c
		}()
		children = append(children, c)
		logStep("started %s (pid %d)", name, cmd.Process.Pid)
		return c, nil
	}
	shutdown := func() {
		for i := len(children) - 1; i >= 0; i-- {
			children[i].stop(10 * time.Second)
		}
	}
	defer shutdown()
	waitFor := func(what string, timeout time.Duration, probe func() error) error {
		deadline := time.Now().Add(timeout)
		var last error
		for time.Now().Before(deadline) {
			if last = probe(); last == nil {
				logStep("%s ready", what)
				return nil
			}
			select {
			case <-ctx.Done():
				return ctx.Err()
			case c := <-exits:
				return fmt.Errorf("%s exited while waiting for %s: %v (log: %s)\n%s", c.name, what, c.err,
					filepath.Join(p.logs(), c.name+".log"), tail(filepath.Join(p.logs(), c.name+".log"), 20))
			case <-time.After(100 * time.Millisecond):
			}
		}
		return fmt.Errorf("%s not ready after %s: %v", what, timeout, last)
	}

	// etcd
	etcdURL := fmt.Sprintf("http://127.0.0.1:%d", etcdPort)
	etcd, err := startChild("etcd", "--data-dir", p.j("etcd"), "--client-url", etcdURL,
		"--peer-url", fmt.Sprintf("http://127.0.0.1:%d", peerPort), "--dir="+p.dir)
	if err != nil {
		return err
	}
	hc := &http.Client{Timeout: 2 * time.Second}
	if err := waitFor("etcd", 60*time.Second, func() error {
		resp, err := hc.Get(etcdURL + "/health")
		if err != nil {
			return err
		}
		defer resp.Body.Close()
		b, _ := io.ReadAll(resp.Body)
		if resp.StatusCode != 200 || !strings.Contains(string(b), `"true"`) {
			return fmt.Errorf("etcd /health: %d %s", resp.StatusCode, b)
		}
		return nil
	}); err != nil {
		return err
	}

	// kube-apiserver
	apiserver, err := startChild("kube-apiserver",
		"--etcd-servers="+etcdURL,
		"--bind-address=127.0.0.1",
		"--advertise-address=127.0.0.1",
		"--secure-port="+strconv.Itoa(apiPort),
		"--cert-dir="+p.j("pki", "apiserver-generated"),
		"--tls-cert-file="+keys.ServingCert,
		"--tls-private-key-file="+keys.ServingKey,
		"--client-ca-file="+keys.CACert,
		"--token-auth-file="+keys.TokenFile,
		"--authorization-mode=RBAC",
		"--service-cluster-ip-range=10.0.0.0/24",
		"--endpoint-reconciler-type=none",
		"--service-account-issuer=https://kubernetes.default.svc.cluster.local",
		"--service-account-key-file="+keys.SAPub,
		"--service-account-signing-key-file="+keys.SAKey,
		"--allow-privileged=true",
		"--profiling=false",
		"--event-ttl=1h",
		"--v=1",
	)
	if err != nil {
		return err
	}
	if err := waitFor("kube-apiserver /readyz", 120*time.Second, func() error { return readyz(p, server, 2*time.Second) }); err != nil {
		return err
	}

	// kubeconfigs
	kc, err := writeKubeconfigs(p, keys, server)
	if err != nil {
		return err
	}

	// kube-controller-manager
	kcm, err := startChild("kube-controller-manager",
		"--kubeconfig="+p.kcmKubeconfig(),
		"--leader-elect=false",
		"--secure-port=0",
		"--controllers="+strings.Join(controllers, ","),
		"--service-account-private-key-file="+keys.SAKey,
		"--root-ca-file="+keys.CACert,
		"--use-service-account-credentials=false",
		"--cluster-name=testenv",
		"--kube-api-qps=200",
		"--kube-api-burst=400",
		"--concurrent-gc-syncs=5",
		"--v=1",
	)
	if err != nil {
		return err
	}

	// fake node and leader-election simulator, in this process
	restCfg, err := clientcmd.BuildConfigFromFlags("", p.kcmKubeconfig())
	if err != nil {
		return err
	}
	restCfg.QPS, restCfg.Burst = 200, 400
	restCfg.UserAgent = "testenv-fakenode"
	cs, err := kubernetes.NewForConfig(restCfg)
	if err != nil {
		return err
	}
	// a 10s resync re-queues every pod: a safety net for a missed event
	factory := informers.NewSharedInformerFactory(cs, 10*time.Second)
	node := fakenode.New(cs, factory, version.Get().GitVersion)
	sim := leader.New(cs, factory)
	if err := waitFor("fake node registration", 30*time.Second, func() error { return node.Register(ctx) }); err != nil {
		return err
	}
	runCtx, cancelRun := context.WithCancel(ctx)
	defer cancelRun()
	go sim.Run(runCtx, factory)
	factory.Start(runCtx.Done())
	go node.Run(runCtx, 4)

	// Pods need the "default" service account: wait for the controller.
	if err := waitFor("default service account", 60*time.Second, func() error {
		_, err := cs.CoreV1().ServiceAccounts("default").Get(ctx, "default", metav1.GetOptions{})
		if apierrors.IsNotFound(err) {
			return err
		}
		return err
	}); err != nil {
		return err
	}

	st := clusterState{
		Supervisor: os.Getpid(), Etcd: etcd.cmd.Process.Pid, APIServer: apiserver.cmd.Process.Pid, KCM: kcm.cmd.Process.Pid,
		Server: server, Ports: ports, Version: version.Get().GitVersion, Kubeconfig: kc,
		StartedAt: t0, StartupMillis: time.Since(t0).Milliseconds(),
	}
	b, _ := json.MarshalIndent(st, "", "  ")
	if err := writeFileAtomic(p.state(), b, 0o644); err != nil {
		return err
	}
	logStep("cluster ready: %s", server)

	select {
	case <-ctx.Done():
		logStep("stopping on signal")
	case c := <-exits:
		logStep("%s exited unexpectedly: %v; stopping the cluster", c.name, c.err)
		cancelRun()
		shutdown()
		return fmt.Errorf("%s exited: %v", c.name, c.err)
	}
	cancelRun()
	shutdown()
	logStep("stopped")
	return nil
}

func writeKubeconfigs(p paths, keys *pki.PKI, server string) (string, error) {
	read := func(f string) ([]byte, error) { return os.ReadFile(f) }
	ca, err := read(keys.CACert)
	if err != nil {
		return "", err
	}
	cert, err := read(keys.AdminCert)
	if err != nil {
		return "", err
	}
	key, err := read(keys.AdminKey)
	if err != nil {
		return "", err
	}
	cfg := clientcmdapi.NewConfig()
	cfg.Clusters["testenv"] = &clientcmdapi.Cluster{Server: server, CertificateAuthorityData: ca}
	cfg.AuthInfos["testenv-admin"] = &clientcmdapi.AuthInfo{ClientCertificateData: cert, ClientKeyData: key}
	cfg.AuthInfos["testenv-admin-token"] = &clientcmdapi.AuthInfo{Token: keys.AdminToken}
	cfg.Contexts["testenv"] = &clientcmdapi.Context{Cluster: "testenv", AuthInfo: "testenv-admin", Namespace: "default"}
	cfg.Contexts["testenv-token"] = &clientcmdapi.Context{Cluster: "testenv", AuthInfo: "testenv-admin-token", Namespace: "default"}
	cfg.CurrentContext = "testenv"
	b, err := clientcmd.Write(*cfg)
	if err != nil {
		return "", err
	}
	if err := writeFileAtomic(p.kcmKubeconfig(), b, 0o600); err != nil {
		return "", err
	}
	if err := writeFileAtomic(p.j("admin-token"), []byte(keys.AdminToken+"\n"), 0o600); err != nil {
		return "", err
	}
	return p.kubeconfig(), writeFileAtomic(p.kubeconfig(), b, 0o600)
}
