package e2e

import (
	"fmt"
	"io"
	"net/http"
	"strings"
	"testing"
	"time"

	appsv1 "k8s.io/api/apps/v1"
	batchv1 "k8s.io/api/batch/v1"
	corev1 "k8s.io/api/core/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	"k8s.io/apimachinery/pkg/api/resource"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/client-go/rest"
	"k8s.io/utils/ptr"
)

func TestVersionAndNode(t *testing.T) {
	t.Parallel()
	v, err := client.Discovery().ServerVersion()
	if err != nil {
		t.Fatal(err)
	}
	if !strings.HasPrefix(v.GitVersion, "v1.37.") || v.Major != "1" || v.Minor != "37" {
		t.Fatalf("/version = %s (major %q minor %q), want v1.37.x", v.GitVersion, v.Major, v.Minor)
	}
	out := kubectl(t, "get", "nodes", "--no-headers")
	if !strings.Contains(out, "testenv-node") || !strings.Contains(out, " Ready ") {
		t.Fatalf("kubectl get nodes: %q", out)
	}
	sc := kubectl(t, "get", "storageclass", "standard", "-o", "jsonpath={.metadata.annotations.storageclass\\.kubernetes\\.io/is-default-class}")
	if sc != "true" {
		t.Fatalf("standard StorageClass is not the default: %q", sc)
	}
}

func TestRBACAndTokenAuth(t *testing.T) {
	t.Parallel()
	// The admin token context authenticates too.
	out := kubectl(t, "--context", "testenv-token", "auth", "whoami", "-o", "jsonpath={.status.userInfo.username}")
	if out != "testenv-admin-token" {
		t.Fatalf("token user = %q", out)
	}
	// RBAC is on: an unprivileged impersonated user is forbidden.
	anon := rest.CopyConfig(restConfig)
	anon.Impersonate = rest.ImpersonationConfig{UserName: "nobody"}
	hc, err := rest.HTTPClientFor(anon)
	if err != nil {
		t.Fatal(err)
	}
	resp, err := hc.Get(restConfig.Host + "/api/v1/namespaces/default/secrets")
	if err != nil {
		t.Fatal(err)
	}
	body, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	if resp.StatusCode != http.StatusForbidden {
		t.Fatalf("unprivileged list secrets: %d %s", resp.StatusCode, body)
	}
}

func podTemplate(labels map[string]string, annotations map[string]string, restart corev1.RestartPolicy) corev1.PodTemplateSpec {
	return corev1.PodTemplateSpec{
		ObjectMeta: metav1.ObjectMeta{Labels: labels, Annotations: annotations},
		Spec: corev1.PodSpec{
			RestartPolicy: restart,
			Containers:    []corev1.Container{{Name: "main", Image: "example.invalid/app:1"}},
		},
	}
}

func TestDeploymentReady(t *testing.T) {
	t.Parallel()
	ns := newNamespace(t, "deploy")
	c := ctx(t)
	lbl := map[string]string{"app": "web"}
	_, err := client.AppsV1().Deployments(ns).Create(c, &appsv1.Deployment{
		ObjectMeta: metav1.ObjectMeta{Name: "web"},
		Spec: appsv1.DeploymentSpec{
			Replicas: ptr.To[int32](3),
			Selector: &metav1.LabelSelector{MatchLabels: lbl},
			Template: podTemplate(lbl, nil, corev1.RestartPolicyAlways),
		},
	}, metav1.CreateOptions{})
	if err != nil {
		t.Fatal(err)
	}
	eventually(t, 60*time.Second, 250*time.Millisecond, "3 ready replicas", func() (bool, string) {
		d, err := client.AppsV1().Deployments(ns).Get(c, "web", metav1.GetOptions{})
		if err != nil {
			return false, err.Error()
		}
		return d.Status.ReadyReplicas == 3 && d.Status.AvailableReplicas == 3 && d.Status.ObservedGeneration == d.Generation,
			toJSON(d.Status)
	})
	pods, err := client.CoreV1().Pods(ns).List(c, metav1.ListOptions{LabelSelector: "app=web"})
	if err != nil {
		t.Fatal(err)
	}
	for _, p := range pods.Items {
		if p.Spec.NodeName != "testenv-node" || p.Status.Phase != corev1.PodRunning || p.Status.PodIP == "" ||
			len(p.Status.ContainerStatuses) != 1 || !p.Status.ContainerStatuses[0].Ready {
			t.Fatalf("pod %s not bound/running/ready: %s", p.Name, toJSON(p.Status))
		}
	}
}

func TestStatefulSetWithVolumeClaims(t *testing.T) {
	t.Parallel()
	ns := newNamespace(t, "sts")
	c := ctx(t)
	lbl := map[string]string{"app": "db"}
	_, err := client.AppsV1().StatefulSets(ns).Create(c, &appsv1.StatefulSet{
		ObjectMeta: metav1.ObjectMeta{Name: "db"},
		Spec: appsv1.StatefulSetSpec{
			ServiceName: "db",
			Replicas:    ptr.To[int32](2),
			Selector:    &metav1.LabelSelector{MatchLabels: lbl},
			Template:    podTemplate(lbl, nil, corev1.RestartPolicyAlways),
			VolumeClaimTemplates: []corev1.PersistentVolumeClaim{{
				ObjectMeta: metav1.ObjectMeta{Name: "data"},
				Spec: corev1.PersistentVolumeClaimSpec{
					AccessModes: []corev1.PersistentVolumeAccessMode{corev1.ReadWriteOnce},
					Resources: corev1.VolumeResourceRequirements{Requests: corev1.ResourceList{
						corev1.ResourceStorage: resource.MustParse("1Gi")}},
				},
			}},
		},
	}, metav1.CreateOptions{})
	if err != nil {
		t.Fatal(err)
	}
	eventually(t, 60*time.Second, 250*time.Millisecond, "2 ready replicas", func() (bool, string) {
		s, err := client.AppsV1().StatefulSets(ns).Get(c, "db", metav1.GetOptions{})
		if err != nil {
			return false, err.Error()
		}
		return s.Status.ReadyReplicas == 2, toJSON(s.Status)
	})
	for _, name := range []string{"data-db-0", "data-db-1"} {
		pvc, err := client.CoreV1().PersistentVolumeClaims(ns).Get(c, name, metav1.GetOptions{})
		if err != nil {
			t.Fatal(err)
		}
		if pvc.Status.Phase != corev1.ClaimBound || pvc.Spec.VolumeName == "" {
			t.Fatalf("claim %s not bound: %s", name, toJSON(pvc.Status))
		}
	}
}

func createJob(t *testing.T, ns, name string, annotations map[string]string) {
	t.Helper()
	_, err := client.BatchV1().Jobs(ns).Create(ctx(t), &batchv1.Job{
		ObjectMeta: metav1.ObjectMeta{Name: name},
		Spec: batchv1.JobSpec{
			BackoffLimit: ptr.To[int32](0),
			Template:     podTemplate(nil, annotations, corev1.RestartPolicyNever),
		},
	}, metav1.CreateOptions{})
	if err != nil {
		t.Fatal(err)
	}
}

func waitJobCondition(t *testing.T, ns, name string, want batchv1.JobConditionType) {
	t.Helper()
	c := ctx(t)
	eventually(t, 60*time.Second, 250*time.Millisecond, "job "+string(want), func() (bool, string) {
		j, err := client.BatchV1().Jobs(ns).Get(c, name, metav1.GetOptions{})
		if err != nil {
			return false, err.Error()
		}
		for _, cond := range j.Status.Conditions {
			if cond.Status != corev1.ConditionTrue {
				continue
			}
			if cond.Type == want {
				return true, ""
			}
			if cond.Type == batchv1.JobComplete || cond.Type == batchv1.JobFailed {
				t.Fatalf("job ended %s, want %s: %s", cond.Type, want, toJSON(j.Status))
			}
		}
		return false, toJSON(j.Status)
	})
}

func TestJobCompletes(t *testing.T) {
	t.Parallel()
	ns := newNamespace(t, "job")
	createJob(t, ns, "ok", nil)
	waitJobCondition(t, ns, "ok", batchv1.JobComplete)
	j, err := client.BatchV1().Jobs(ns).Get(ctx(t), "ok", metav1.GetOptions{})
	if err != nil {
		t.Fatal(err)
	}
	if j.Status.Succeeded != 1 {
		t.Fatalf("succeeded = %d", j.Status.Succeeded)
	}
}

func TestJobFailAnnotation(t *testing.T) {
	t.Parallel()
	ns := newNamespace(t, "jobfail")
	createJob(t, ns, "bad", map[string]string{"testenv.kudoc.dev/fail": "true"})
	waitJobCondition(t, ns, "bad", batchv1.JobFailed)
	pods, err := client.CoreV1().Pods(ns).List(ctx(t), metav1.ListOptions{LabelSelector: "job-name=bad"})
	if err != nil {
		t.Fatal(err)
	}
	if len(pods.Items) == 0 || pods.Items[0].Status.Phase != corev1.PodFailed {
		t.Fatalf("job pod not Failed: %s", toJSON(pods.Items))
	}
}

func TestReadinessAnnotations(t *testing.T) {
	t.Parallel()
	ns := newNamespace(t, "ready")
	c := ctx(t)
	mk := func(name string, ann map[string]string) {
		_, err := client.CoreV1().Pods(ns).Create(c, &corev1.Pod{
			ObjectMeta: metav1.ObjectMeta{Name: name, Annotations: ann},
			Spec:       podTemplate(nil, nil, corev1.RestartPolicyAlways).Spec,
		}, metav1.CreateOptions{})
		if err != nil {
			t.Fatal(err)
		}
	}
	start := time.Now()
	mk("slow", map[string]string{"testenv.kudoc.dev/ready-after": "3s"})
	mk("never", map[string]string{"testenv.kudoc.dev/never-ready": "true"})
	ready := func(name string) (bool, *corev1.Pod) {
		p, err := client.CoreV1().Pods(ns).Get(c, name, metav1.GetOptions{})
		if err != nil {
			return false, nil
		}
		for _, cond := range p.Status.Conditions {
			if cond.Type == corev1.PodReady {
				return cond.Status == corev1.ConditionTrue, p
			}
		}
		return false, p
	}
	eventually(t, 30*time.Second, 100*time.Millisecond, "slow pod running", func() (bool, string) {
		_, p := ready("slow")
		return p != nil && p.Status.Phase == corev1.PodRunning, ""
	})
	if ok, _ := ready("slow"); ok && time.Since(start) < 2*time.Second {
		t.Fatalf("ready-after pod was ready after %s", time.Since(start))
	}
	eventually(t, 30*time.Second, 100*time.Millisecond, "slow pod ready", func() (bool, string) {
		ok, _ := ready("slow")
		return ok, ""
	})
	if d := time.Since(start); d < 2*time.Second {
		t.Fatalf("ready-after 3s pod became ready after only %s", d)
	}
	ok, p := ready("never")
	if ok || p == nil || p.Status.Phase != corev1.PodRunning {
		t.Fatalf("never-ready pod: ready=%v status=%s", ok, toJSON(p))
	}
}

func TestNamespaceDeletionFinishes(t *testing.T) {
	t.Parallel()
	c := ctx(t)
	ns := newNamespace(t, "nsdel")
	lbl := map[string]string{"app": "x"}
	if _, err := client.AppsV1().Deployments(ns).Create(c, &appsv1.Deployment{
		ObjectMeta: metav1.ObjectMeta{Name: "x"},
		Spec: appsv1.DeploymentSpec{
			Replicas: ptr.To[int32](2), Selector: &metav1.LabelSelector{MatchLabels: lbl},
			Template: podTemplate(lbl, nil, corev1.RestartPolicyAlways),
		},
	}, metav1.CreateOptions{}); err != nil {
		t.Fatal(err)
	}
	if _, err := client.CoreV1().ConfigMaps(ns).Create(c, &corev1.ConfigMap{
		ObjectMeta: metav1.ObjectMeta{Name: "cfg"}, Data: map[string]string{"a": "b"},
	}, metav1.CreateOptions{}); err != nil {
		t.Fatal(err)
	}
	eventually(t, 60*time.Second, 250*time.Millisecond, "pods running", func() (bool, string) {
		d, err := client.AppsV1().Deployments(ns).Get(c, "x", metav1.GetOptions{})
		return err == nil && d.Status.ReadyReplicas == 2, ""
	})
	if err := client.CoreV1().Namespaces().Delete(c, ns, metav1.DeleteOptions{}); err != nil {
		t.Fatal(err)
	}
	eventually(t, 90*time.Second, 250*time.Millisecond, "namespace gone", func() (bool, string) {
		n, err := client.CoreV1().Namespaces().Get(c, ns, metav1.GetOptions{})
		if apierrors.IsNotFound(err) {
			return true, ""
		}
		if err != nil {
			return false, err.Error()
		}
		return false, fmt.Sprintf("phase %s conditions %s", n.Status.Phase, toJSON(n.Status.Conditions))
	})
}
