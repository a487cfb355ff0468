// Command testenv is a multi-call binary that runs a real local Kubernetes
// control plane (embedded etcd, kube-apiserver, kube-controller-manager) for
// kudoc's tests and demo, plus a fake node, a leader-election simulator, a
// fault-injecting proxy and the real kubectl.
package main

import (
	"fmt"
	"os"

	"k8s.io/component-base/version"
)

func usage() {
	fmt.Fprintf(os.Stderr, `usage: testenv COMMAND [flags]

commands:
  up --dir DIR        start etcd, kube-apiserver, kube-controller-manager, fake node
                      and leader-election simulator in the background; write DIR/kubeconfig
  down --dir DIR      stop everything started by up
  status --dir DIR    report whether the cluster is running and healthy
  proxy --listen ADDR --upstream URL [--reset P] [--status500 P] [--status429 P] [--delay D]
                      fault-injecting TCP/TLS pass-through proxy
  kubectl ARGS...     the real kubectl (uses $KUBECONFIG or --kubeconfig as usual)
  version             print the Kubernetes version this binary was built from
`)
}

func main() {
	if len(os.Args) < 2 {
		usage()
		os.Exit(2)
	}
	cmd, args := os.Args[1], os.Args[2:]
	var err error
	switch cmd {
	case "etcd":
		err = runEtcd(args)
	case "kube-apiserver":
		os.Exit(runAPIServer(args))
	case "kube-controller-manager":
		os.Exit(runControllerManager(args))
	case "kubectl":
		os.Exit(runKubectl(args))
	case "up":
		err = cmdUp(args)
	case "down":
		err = cmdDown(args)
	case "status":
		err = cmdStatus(args)
	case "supervise":
		err = cmdSupervise(args)
	case "proxy":
		err = cmdProxy(args)
	case "version":
		fmt.Println(version.Get().GitVersion)
	case "help", "-h", "--help":
		usage()
	default:
		usage()
		os.Exit(2)
	}
	if e, ok := err.(errSilentExit); ok {
		os.Exit(e.code)
	}
	if err != nil {
		fmt.Fprintf(os.Stderr, "testenv %s: %v\n", cmd, err)
		os.Exit(1)
	}
}
