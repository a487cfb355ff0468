// Package fakenode plays the part of a kubelet and a scheduler for a control
// plane that has neither: it registers one Ready Node, binds every
// unscheduled pod to it, moves pods to Running/Ready (or to Succeeded/Failed
// for run-to-completion pods), finishes the deletion of terminating pods, and
// provisions a PersistentVolume for every pending claim of the default
// StorageClass so that StatefulSets with volume claim templates run.
package fakenode

import (
	"context"
	"fmt"
	"hash/fnv"
	"strings"
	"sync"
	"time"

	corev1 "k8s.io/api/core/v1"
	storagev1 "k8s.io/api/storage/v1"
	apiequality "k8s.io/apimachinery/pkg/api/equality"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	"k8s.io/apimachinery/pkg/api/resource"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/util/wait"
	"k8s.io/client-go/informers"
	"k8s.io/client-go/kubernetes"
	corelisters "k8s.io/client-go/listers/core/v1"
	storagelisters "k8s.io/client-go/listers/storage/v1"
	"k8s.io/client-go/tools/cache"
	"k8s.io/client-go/util/workqueue"
	"k8s.io/klog/v2"
)

const (
	// NodeName is the name of the single fake node.
	NodeName = "testenv-node"
	// NodeIP is the InternalIP the node reports (never contacted).
	NodeIP = "10.200.0.1"
	// StorageClassName is the default StorageClass the node serves.
	StorageClassName = "standard"
	// Provisioner is the provisioner name of the default StorageClass.
	Provisioner = "testenv.kudoc.dev/hostpath"

	// AnnotationFail makes a run-to-completion pod end Failed instead of Succeeded.
	AnnotationFail = "testenv.kudoc.dev/fail"
	// AnnotationReadyAfter delays readiness by a Go duration ("5s") after start.
	AnnotationReadyAfter = "testenv.kudoc.dev/ready-after"
	// AnnotationNeverReady keeps a running pod unready.
	AnnotationNeverReady = "testenv.kudoc.dev/never-ready"
	// AnnotationCompleteAfter sets how long a run-to-completion pod runs (default 1s).
	AnnotationCompleteAfter = "testenv.kudoc.dev/complete-after"

	defaultCompleteAfter = time.Second
)

// Node is the fake node controller.
type Node struct {
	client  kubernetes.Interface
	version string

	pods    corelisters.PodLister
	pvcs    corelisters.PersistentVolumeClaimLister
	pvs     corelisters.PersistentVolumeLister
	classes storagelisters.StorageClassLister
	synced  []cache.InformerSynced

	queue workqueue.TypedRateLimitingInterface[string]

	mu    sync.Mutex
	ips   map[string]string // pod IP -> pod key
	byKey map[string]string // pod key -> pod IP
}

// New wires the node's informers into factory; call Register, then
// factory.Start, then Run.
func New(client kubernetes.Interface, factory informers.SharedInformerFactory, kubeletVersion string) *Node {
	n := &Node{
		client:  client,
		version: kubeletVersion,
		// Short, bounded retries: a test cluster must not back off for
		// minutes (the default limiter grows to 1000s and shares a 10 qps
		// bucket across all items).
		queue: workqueue.NewTypedRateLimitingQueueWithConfig(
			workqueue.NewTypedItemExponentialFailureRateLimiter[string](10*time.Millisecond, 2*time.Second),
			workqueue.TypedRateLimitingQueueConfig[string]{Name: "fakenode"}),
		ips:   map[string]string{},
		byKey: map[string]string{},
	}
	podInf := factory.Core().V1().Pods()
	pvcInf := factory.Core().V1().PersistentVolumeClaims()
	pvInf := factory.Core().V1().PersistentVolumes()
	scInf := factory.Storage().V1().StorageClasses()
	n.pods, n.pvcs, n.pvs, n.classes = podInf.Lister(), pvcInf.Lister(), pvInf.Lister(), scInf.Lister()
	enqueue := func(kind string) cache.ResourceEventHandlerFuncs {
		add := func(obj interface{}) {
			key, err := cache.DeletionHandlingMetaNamespaceKeyFunc(obj)
			if err == nil {
				n.queue.Add(kind + "|" + key)
			}
		}
		return cache.ResourceEventHandlerFuncs{
			AddFunc:    add,
			UpdateFunc: func(_, obj interface{}) { add(obj) },
			DeleteFunc: add,
		}
	}
	_, _ = podInf.Informer().AddEventHandler(enqueue("pod"))
	_, _ = pvcInf.Informer().AddEventHandler(enqueue("pvc"))
	_, _ = pvInf.Informer().AddEventHandler(enqueue("pv"))
	_, _ = scInf.Informer().AddEventHandler(cache.ResourceEventHandlerFuncs{})
	n.synced = []cache.InformerSynced{podInf.Informer().HasSynced, pvcInf.Informer().HasSynced,
		pvInf.Informer().HasSynced, scInf.Informer().HasSynced}
	return n
}

// Register creates (or refreshes) the Node and the default StorageClass.
func (n *Node) Register(ctx context.Context) error {
	node := &corev1.Node{
		ObjectMeta: metav1.ObjectMeta{
			Name: NodeName,
			Labels: map[string]string{
				"kubernetes.io/hostname": NodeName,
				"kubernetes.io/os":       "linux",
				"kubernetes.io/arch":     "amd64",
				"type":                   "testenv",
			},
		},
	}
	created, err := n.client.CoreV1().Nodes().Create(ctx, node, metav1.CreateOptions{})
	if apierrors.IsAlreadyExists(err) {
		created, err = n.client.CoreV1().Nodes().Get(ctx, NodeName, metav1.GetOptions{})
	}
	if err != nil {
		return fmt.Errorf("create node: %w", err)
	}
	now := metav1.Now()
	capacity := corev1.ResourceList{
		corev1.ResourceCPU:              resource.MustParse("1000"),
		corev1.ResourceMemory:           resource.MustParse("4Ti"),
		corev1.ResourcePods:             resource.MustParse("10000"),
		corev1.ResourceEphemeralStorage: resource.MustParse("100Ti"),
	}
	cond := func(t corev1.NodeConditionType, s corev1.ConditionStatus, reason, msg string) corev1.NodeCondition {
		return corev1.NodeCondition{Type: t, Status: s, Reason: reason, Message: msg,
			LastHeartbeatTime: now, LastTransitionTime: now}
	}
	created.Status = corev1.NodeStatus{
		Capacity:    capacity,
		Allocatable: capacity,
		Phase:       corev1.NodeRunning,
		Conditions: []corev1.NodeCondition{
			cond(corev1.NodeReady, corev1.ConditionTrue, "KubeletReady", "testenv fake node is ready"),
			cond(corev1.NodeMemoryPressure, corev1.ConditionFalse, "KubeletHasSufficientMemory", "no pressure"),
			cond(corev1.NodeDiskPressure, corev1.ConditionFalse, "KubeletHasNoDiskPressure", "no pressure"),
			cond(corev1.NodePIDPressure, corev1.ConditionFalse, "KubeletHasSufficientPID", "no pressure"),
		},
		Addresses: []corev1.NodeAddress{
			{Type: corev1.NodeInternalIP, Address: NodeIP},
			{Type: corev1.NodeHostName, Address: NodeName},
		},
		NodeInfo: corev1.NodeSystemInfo{
			MachineID: "testenv", SystemUUID: "testenv", BootID: "testenv",
			KernelVersion: "testenv", OSImage: "kudoc testenv", OperatingSystem: "linux", Architecture: "amd64",
			ContainerRuntimeVersion: "testenv://1.0.0",
			KubeletVersion:          n.version,
		},
	}
	if _, err := n.client.CoreV1().Nodes().UpdateStatus(ctx, created, metav1.UpdateOptions{}); err != nil {
		return fmt.Errorf("update node status: %w", err)
	}

	immediate := storagev1.VolumeBindingImmediate
	del := corev1.PersistentVolumeReclaimDelete
	expand := true
	sc := &storagev1.StorageClass{
		ObjectMeta: metav1.ObjectMeta{
			Name:        StorageClassName,
			Annotations: map[string]string{"storageclass.kubernetes.io/is-default-class": "true"},
		},
		Provisioner:          Provisioner,
		ReclaimPolicy:        &del,
		VolumeBindingMode:    &immediate,
		AllowVolumeExpansion: &expand,
	}
	if _, err := n.client.StorageV1().StorageClasses().Create(ctx, sc, metav1.CreateOptions{}); err != nil && !apierrors.IsAlreadyExists(err) {
		return fmt.Errorf("create storage class: %w", err)
	}
	return nil
}

// Run processes pods, claims and volumes until ctx is done.
func (n *Node) Run(ctx context.Context, workers int) {
	defer n.queue.ShutDown()
	if !cache.WaitForCacheSync(ctx.Done(), n.synced...) {
		return
	}
	for i := 0; i < workers; i++ {
		go wait.UntilWithContext(ctx, func(ctx context.Context) {
			for n.processNext(ctx) {
			}
		}, time.Second)
	}
	<-ctx.Done()
}

func (n *Node) processNext(ctx context.Context) bool {
	item, quit := n.queue.Get()
	if quit {
		return false
	}
	defer n.queue.Done(item)
	kind, key, _ := strings.Cut(item, "|")
	ctx, cancel := context.WithTimeout(ctx, 30*time.Second)
	defer cancel()
	var after time.Duration
	var err error
	switch kind {
	case "pod":
		after, err = n.syncPod(ctx, key)
	case "pvc":
		err = n.syncClaim(ctx, key)
	case "pv":
		err = n.syncVolume(ctx, key)
	}
	if err != nil {
		if !apierrors.IsConflict(err) && !apierrors.IsNotFound(err) {
			klog.InfoS("fakenode sync failed, retrying", "item", item, "err", err)
		}
		n.queue.AddRateLimited(item)
		return true
	}
	n.queue.Forget(item)
	if after > 0 {
		n.queue.AddAfter(item, after)
	}
	return true
}

// ---- pods ----

func (n *Node) syncPod(ctx context.Context, key string) (time.Duration, error) {
	ns, name, err := cache.SplitMetaNamespaceKey(key)
	if err != nil {
		return 0, nil
	}
	pod, err := n.pods.Pods(ns).Get(name)
	if apierrors.IsNotFound(err) {
		n.releaseIP(key)
		return 0, nil
	}
	if err != nil {
		return 0, err
	}
	if pod.DeletionTimestamp != nil {
		// A kubelet would stop the containers, then delete with grace 0.
		zero := int64(0)
		uid := pod.UID
		err := n.client.CoreV1().Pods(ns).Delete(ctx, name, metav1.DeleteOptions{
			GracePeriodSeconds: &zero,
			Preconditions:      &metav1.Preconditions{UID: &uid},
		})
		if apierrors.IsNotFound(err) || apierrors.IsConflict(err) {
			return 0, nil
		}
		if err == nil {
			klog.InfoS("pod deleted", "pod", key)
		}
		return 0, err
	}
	if pod.Spec.NodeName == "" {
		return n.schedule(ctx, pod)
	}
	if pod.Spec.NodeName != NodeName {
		return 0, nil
	}
	if pod.Status.Phase == corev1.PodSucceeded || pod.Status.Phase == corev1.PodFailed {
		return 0, nil
	}
	status, after := n.desiredStatus(pod, time.Now())
	if apiequality.Semantic.DeepEqual(&pod.Status, status) {
		return after, nil
	}
	upd := pod.DeepCopy()
	upd.Status = *status
	if _, err := n.client.CoreV1().Pods(ns).UpdateStatus(ctx, upd, metav1.UpdateOptions{}); err != nil {
		return 0, err
	}
	if status.Phase != pod.Status.Phase || podReady(status) != podReady(&pod.Status) {
		klog.InfoS("pod status", "pod", key, "phase", status.Phase, "ready", podReady(status))
	}
	return after, nil
}

// schedule binds pod to the node once its gates are gone and its claims are bound.
func (n *Node) schedule(ctx context.Context, pod *corev1.Pod) (time.Duration, error) {
	if len(pod.Spec.SchedulingGates) > 0 {
		return 0, nil
	}
	for _, v := range pod.Spec.Volumes {
		claim := ""
		switch {
		case v.PersistentVolumeClaim != nil:
			claim = v.PersistentVolumeClaim.ClaimName
		case v.Ephemeral != nil:
			claim = pod.Name + "-" + v.Name
		default:
			continue
		}
		pvc, err := n.pvcs.PersistentVolumeClaims(pod.Namespace).Get(claim)
		if err != nil || pvc.Status.Phase != corev1.ClaimBound {
			return 500 * time.Millisecond, nil // wait for the claim
		}
	}
	err := n.client.CoreV1().Pods(pod.Namespace).Bind(ctx, &corev1.Binding{
		ObjectMeta: metav1.ObjectMeta{Name: pod.Name, Namespace: pod.Namespace, UID: pod.UID},
		Target:     corev1.ObjectReference{Kind: "Node", Name: NodeName},
	}, metav1.CreateOptions{})
	if apierrors.IsConflict(err) || apierrors.IsNotFound(err) {
		return 0, nil
	}
	if err == nil {
		klog.InfoS("pod bound", "pod", pod.Namespace+"/"+pod.Name, "node", NodeName)
	}
	return 0, err
}

func podReady(st *corev1.PodStatus) bool {
	for _, c := range st.Conditions {
		if c.Type == corev1.PodReady {
			return c.Status == corev1.ConditionTrue
		}
	}
	return false
}

func (n *Node) allocIP(key string, pod *corev1.Pod) string {
	if pod.Spec.HostNetwork {
		return NodeIP
	}
	n.mu.Lock()
	defer n.mu.Unlock()
	if pod.Status.PodIP != "" {
		n.ips[pod.Status.PodIP], n.byKey[key] = key, pod.Status.PodIP
		return pod.Status.PodIP
	}
	if ip, ok := n.byKey[key]; ok {
		return ip
	}
	h := fnv.New32a()
	_, _ = h.Write([]byte(pod.UID))
	start := h.Sum32()
	// 256 third octets x 250 hosts (.2 to .251): every slot is a valid address. (A range of
	// 65000 slots once gave about 1.5% of pods a third octet above 255; the apiserver refused
	// their status and they never became Ready.)
	const slots = 256 * 250
	for i := uint32(0); i < slots; i++ {
		v := (start + i) % slots
		ip := fmt.Sprintf("10.244.%d.%d", v/250, v%250+2)
		if _, used := n.ips[ip]; !used {
			n.ips[ip], n.byKey[key] = key, ip
			return ip
		}
	}
	return "10.244.255.254"
}

func (n *Node) releaseIP(key string) {
	n.mu.Lock()
	defer n.mu.Unlock()
	if ip, ok := n.byKey[key]; ok {
		delete(n.byKey, key)
		if n.ips[ip] == key {
			delete(n.ips, ip)
		}
	}
}

func durationAnnotation(pod *corev1.Pod, key string, def time.Duration) time.Duration {
	v, ok := pod.Annotations[key]
	if !ok {
		return def
	}
	d, err := time.ParseDuration(strings.TrimSpace(v))
	if err != nil || d < 0 {
		return def
	}
	return d
}

func setCondition(conds []corev1.PodCondition, old []corev1.PodCondition, t corev1.PodConditionType,
	ok bool, reason string, now metav1.Time, gen int64) []corev1.PodCondition {
	s := corev1.ConditionFalse
	if ok {
		s = corev1.ConditionTrue
	}
	c := corev1.PodCondition{Type: t, Status: s, Reason: reason, LastTransitionTime: now, ObservedGeneration: gen}
	for _, o := range old {
		if o.Type == t && o.Status == s {
			c.LastTransitionTime = o.LastTransitionTime
			c.LastProbeTime = o.LastProbeTime
		}
	}
	return append(conds, c)
}

// desiredStatus computes what a kubelet would report for pod at now, and how
// long until that changes (0 = no change pending).
func (n *Node) desiredStatus(pod *corev1.Pod, wall time.Time) (*corev1.PodStatus, time.Duration) {
	now := metav1.NewTime(wall.Truncate(time.Second))
	st := pod.Status.DeepCopy()
	if st.StartTime == nil {
		st.StartTime = &now
	}
	start := st.StartTime.Time
	ip := n.allocIP(pod.Namespace+"/"+pod.Name, pod)
	st.HostIP = NodeIP
	st.HostIPs = []corev1.HostIP{{IP: NodeIP}}
	st.PodIP = ip
	st.PodIPs = []corev1.PodIP{{IP: ip}}
	st.ObservedGeneration = pod.Generation

	var after time.Duration
	ready := pod.Annotations[AnnotationNeverReady] != "true"
	if ra := durationAnnotation(pod, AnnotationReadyAfter, 0); ready && ra > 0 {
		if left := start.Add(ra).Sub(wall); left > 0 {
			ready = false
			after = left
		}
	}
	finished, failed := false, false
	if pod.Spec.RestartPolicy != corev1.RestartPolicyAlways {
		ca := durationAnnotation(pod, AnnotationCompleteAfter, defaultCompleteAfter)
		if left := start.Add(ca).Sub(wall); left > 0 {
			if after == 0 || left < after {
				after = left
			}
		} else {
			finished = true
			failed = pod.Annotations[AnnotationFail] == "true"
			after = 0
		}
	}

	imageID := func(img string) string { return "testenv://image/" + img }
	cid := func(name string) string { return "testenv://" + string(pod.UID) + "/" + name }
	oldStatus := func(list []corev1.ContainerStatus, name string) *corev1.ContainerStatus {
		for i := range list {
			if list[i].Name == name {
				return &list[i]
			}
		}
		return nil
	}

	st.InitContainerStatuses = nil
	for _, c := range pod.Spec.InitContainers {
		cs := corev1.ContainerStatus{Name: c.Name, Image: c.Image, ImageID: imageID(c.Image), ContainerID: cid(c.Name)}
		if c.RestartPolicy != nil && *c.RestartPolicy == corev1.ContainerRestartPolicyAlways && !finished {
			t := true
			cs.Started, cs.Ready = &t, ready
			cs.State.Running = &corev1.ContainerStateRunning{StartedAt: *st.StartTime}
		} else {
			f := false
			cs.Started = &f
			cs.State.Terminated = &corev1.ContainerStateTerminated{ExitCode: 0, Reason: "Completed",
				StartedAt: *st.StartTime, FinishedAt: *st.StartTime, ContainerID: cs.ContainerID}
		}
		st.InitContainerStatuses = append(st.InitContainerStatuses, cs)
	}
	st.ContainerStatuses = nil
	for _, c := range pod.Spec.Containers {
		cs := corev1.ContainerStatus{Name: c.Name, Image: c.Image, ImageID: imageID(c.Image), ContainerID: cid(c.Name)}
		if finished {
			f := false
			cs.Started = &f
			code, reason := int32(0), "Completed"
			if failed {
				code, reason = 1, "Error"
			}
			fin := now
			if o := oldStatus(pod.Status.ContainerStatuses, c.Name); o != nil && o.State.Terminated != nil {
				fin = o.State.Terminated.FinishedAt
			}
			cs.State.Terminated = &corev1.ContainerStateTerminated{ExitCode: code, Reason: reason,
				StartedAt: *st.StartTime, FinishedAt: fin, ContainerID: cs.ContainerID}
		} else {
			t := true
			cs.Started, cs.Ready = &t, ready
			cs.State.Running = &corev1.ContainerStateRunning{StartedAt: *st.StartTime}
		}
		st.ContainerStatuses = append(st.ContainerStatuses, cs)
	}

	gen := pod.Generation
	var conds []corev1.PodCondition
	conds = setCondition(conds, pod.Status.Conditions, corev1.PodReadyToStartContainers, !finished, "", now, gen)
	conds = setCondition(conds, pod.Status.Conditions, corev1.PodInitialized, true, "", now, gen)
	reason := ""
	switch {
	case finished:
		reason = "PodCompleted"
	case !ready:
		reason = "ContainersNotReady"
	}
	conds = setCondition(conds, pod.Status.Conditions, corev1.ContainersReady, ready && !finished, reason, now, gen)
	conds = setCondition(conds, pod.Status.Conditions, corev1.PodReady, ready && !finished, reason, now, gen)
	conds = setCondition(conds, pod.Status.Conditions, corev1.PodScheduled, true, "", now, gen)
	// keep conditions owned by others (readiness gates, disruption target, ...)
	for _, o := range pod.Status.Conditions {
		switch o.Type {
		case corev1.PodReadyToStartContainers, corev1.PodInitialized, corev1.ContainersReady, corev1.PodReady, corev1.PodScheduled:
		default:
			conds = append(conds, o)
		}
	}
	st.Conditions = conds

	switch {
	case finished && failed:
		st.Phase = corev1.PodFailed
		st.Reason, st.Message = "Error", "container exited with code 1 ("+AnnotationFail+")"
	case finished:
		st.Phase = corev1.PodSucceeded
	default:
		st.Phase = corev1.PodRunning
	}
	return st, after
}

// ---- volumes ----

func (n *Node) syncClaim(ctx context.Context, key string) error {
	ns, name, err := cache.SplitMetaNamespaceKey(key)
	if err != nil {
		return nil
	}
	pvc, err := n.pvcs.PersistentVolumeClaims(ns).Get(name)
	if apierrors.IsNotFound(err) {
		return nil
	}
	if err != nil {
		return err
	}
	if pvc.DeletionTimestamp != nil || pvc.Spec.VolumeName != "" || pvc.Status.Phase != corev1.ClaimPending {
		return nil
	}
	className := ""
	if pvc.Spec.StorageClassName != nil {
		className = *pvc.Spec.StorageClassName
	}
	if className == "" {
		return nil
	}
	sc, err := n.classes.Get(className)
	if err != nil || sc.Provisioner != Provisioner {
		return nil
	}
	pvName := "pvc-" + string(pvc.UID)
	if _, err := n.pvs.Get(pvName); err == nil {
		return nil
	}
	size := resource.MustParse("1Gi")
	if q, ok := pvc.Spec.Resources.Requests[corev1.ResourceStorage]; ok {
		size = q
	}
	modes := pvc.Spec.AccessModes
	if len(modes) == 0 {
		modes = []corev1.PersistentVolumeAccessMode{corev1.ReadWriteOnce}
	}
	reclaim := corev1.PersistentVolumeReclaimDelete
	if sc.ReclaimPolicy != nil {
		reclaim = *sc.ReclaimPolicy
	}
	pv := &corev1.PersistentVolume{
		ObjectMeta: metav1.ObjectMeta{
			Name:        pvName,
			Annotations: map[string]string{"pv.kubernetes.io/provisioned-by": Provisioner},
		},
		Spec: corev1.PersistentVolumeSpec{
			Capacity:                      corev1.ResourceList{corev1.ResourceStorage: size},
			AccessModes:                   modes,
			PersistentVolumeReclaimPolicy: reclaim,
			StorageClassName:              className,
			VolumeMode:                    pvc.Spec.VolumeMode,
			ClaimRef: &corev1.ObjectReference{
				Kind: "PersistentVolumeClaim", APIVersion: "v1",
				Namespace: pvc.Namespace, Name: pvc.Name, UID: pvc.UID,
			},
			PersistentVolumeSource: corev1.PersistentVolumeSource{
				HostPath: &corev1.HostPathVolumeSource{Path: "/var/lib/testenv/volumes/" + pvName},
			},
		},
	}
	_, err = n.client.CoreV1().PersistentVolumes().Create(ctx, pv, metav1.CreateOptions{})
	if apierrors.IsAlreadyExists(err) {
		return nil
	}
	return err
}

// syncVolume deletes released volumes that this node provisioned, as an
// external provisioner does for the Delete reclaim policy.
func (n *Node) syncVolume(ctx context.Context, name string) error {
	pv, err := n.pvs.Get(name)
	if err != nil {
		return nil
	}
	if pv.Annotations["pv.kubernetes.io/provisioned-by"] != Provisioner ||
		pv.Spec.PersistentVolumeReclaimPolicy != corev1.PersistentVolumeReclaimDelete ||
		pv.Status.Phase != corev1.VolumeReleased || pv.DeletionTimestamp != nil {
		return nil
	}
	err = n.client.CoreV1().PersistentVolumes().Delete(ctx, name, metav1.DeleteOptions{
		Preconditions: &metav1.Preconditions{UID: &pv.UID}})
	if apierrors.IsNotFound(err) || apierrors.IsConflict(err) {
		return nil
	}
	return err
}
