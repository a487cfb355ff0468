package leader

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"

	corev1 "k8s.io/api/core/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	corev1client "k8s.io/client-go/kubernetes/typed/core/v1"
	rl "k8s.io/client-go/tools/leaderelection/resourcelock"
)

// RecordAnnotation is the annotation of the ConfigMap lock that holds the
// LeaderElectionRecord as JSON (the record older client-go versions wrote).
const RecordAnnotation = "control-plane.alpha.kubernetes.io/leader"

// wireRecord is the annotation's JSON: the LeaderElectionRecord with the
// fields newer client-go versions added left out when empty, so the
// annotation reads like the one older operators wrote.
type wireRecord struct {
	HolderIdentity       string      `json:"holderIdentity"`
	LeaseDurationSeconds int         `json:"leaseDurationSeconds"`
	AcquireTime          metav1.Time `json:"acquireTime"`
	RenewTime            metav1.Time `json:"renewTime"`
	LeaderTransitions    int         `json:"leaderTransitions"`
	Strategy             string      `json:"strategy,omitempty"`
	PreferredHolder      string      `json:"preferredHolder,omitempty"`
}

func encodeRecord(r rl.LeaderElectionRecord) ([]byte, error) {
	return json.Marshal(wireRecord{
		HolderIdentity: r.HolderIdentity, LeaseDurationSeconds: r.LeaseDurationSeconds,
		AcquireTime: r.AcquireTime, RenewTime: r.RenewTime, LeaderTransitions: r.LeaderTransitions,
		Strategy: string(r.Strategy), PreferredHolder: r.PreferredHolder,
	})
}

// ConfigMapLock is a resourcelock.Interface over a ConfigMap annotation.
// client-go removed its own ConfigMap lock; operators built against older
// client-go versions still use this record, so the simulator provides it.
// Updates carry the resourceVersion of the last read, so two contenders
// cannot both win the same round.
type ConfigMapLock struct {
	Namespace, Name string
	Client          corev1client.ConfigMapsGetter
	LockConfig      rl.ResourceLockConfig
	cm              *corev1.ConfigMap
}

var _ rl.Interface = (*ConfigMapLock)(nil)

// Get reads the record. A ConfigMap without the annotation yields an empty
// record, which any contender may take.
func (l *ConfigMapLock) Get(ctx context.Context) (*rl.LeaderElectionRecord, []byte, error) {
	cm, err := l.Client.ConfigMaps(l.Namespace).Get(ctx, l.Name, metav1.GetOptions{})
	if err != nil {
		return nil, nil, err
	}
	l.cm = cm
	var rec rl.LeaderElectionRecord
	raw := []byte(cm.Annotations[RecordAnnotation])
	if len(raw) > 0 {
		if err := json.Unmarshal(raw, &rec); err != nil {
			return nil, nil, fmt.Errorf("configmap %s/%s: bad %s annotation: %w", l.Namespace, l.Name, RecordAnnotation, err)
		}
	}
	return &rec, raw, nil
}

// Create creates the ConfigMap holding the record.
func (l *ConfigMapLock) Create(ctx context.Context, rec rl.LeaderElectionRecord) error {
	raw, err := encodeRecord(rec)
	if err != nil {
		return err
	}
	cm, err := l.Client.ConfigMaps(l.Namespace).Create(ctx, &corev1.ConfigMap{
		ObjectMeta: metav1.ObjectMeta{
			Name:        l.Name,
			Namespace:   l.Namespace,
			Annotations: map[string]string{RecordAnnotation: string(raw)},
		},
	}, metav1.CreateOptions{})
	if err != nil {
		return err
	}
	l.cm = cm
	return nil
}

// Update writes the record over the ConfigMap last read or written.
func (l *ConfigMapLock) Update(ctx context.Context, rec rl.LeaderElectionRecord) error {
	if l.cm == nil {
		return errors.New("configmap lock not initialized: call Get or Create first")
	}
	raw, err := encodeRecord(rec)
	if err != nil {
		return err
	}
	cm := l.cm.DeepCopy()
	if cm.Annotations == nil {
		cm.Annotations = map[string]string{}
	}
	cm.Annotations[RecordAnnotation] = string(raw)
	out, err := l.Client.ConfigMaps(l.Namespace).Update(ctx, cm, metav1.UpdateOptions{})
	if err != nil {
		if apierrors.IsConflict(err) {
			l.cm = nil
		}
		return err
	}
	l.cm = out
	return nil
}

// RecordEvent records an event on the ConfigMap when a recorder is set.
func (l *ConfigMapLock) RecordEvent(s string) {
	if l.LockConfig.EventRecorder == nil || l.cm == nil {
		return
	}
	l.LockConfig.EventRecorder.Eventf(l.cm, corev1.EventTypeNormal, "LeaderElection", "%s %s", l.LockConfig.Identity, s)
}

// Identity is the holder identity this lock competes with.
func (l *ConfigMapLock) Identity() string { return l.LockConfig.Identity }

// Describe names the lock.
func (l *ConfigMapLock) Describe() string { return "configmaps/" + l.Namespace + "/" + l.Name }
