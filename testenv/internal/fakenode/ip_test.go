package fakenode

import (
	"fmt"
	"net/netip"
	"testing"

	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/types"
)

// Every pod address the fake node hands out must be one the apiserver accepts, whatever the
// pod's UID hashes to.
func TestAllocIPAlwaysValid(t *testing.T) {
	n := &Node{ips: map[string]string{}, byKey: map[string]string{}}
	for i := 0; i < 20000; i++ {
		pod := &corev1.Pod{ObjectMeta: metav1.ObjectMeta{UID: types.UID(fmt.Sprintf("uid-%d", i))}}
		ip := n.allocIP(fmt.Sprintf("ns/p%d", i), pod)
		a, err := netip.ParseAddr(ip)
		if err != nil || !a.Is4() {
			t.Fatalf("pod %d got %q, not an IPv4 address", i, ip)
		}
	}
}
