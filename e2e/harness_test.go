//go:build e2e

package e2e

import (
	"bufio"
	"bytes"
	"context"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/tls"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/json"
	"encoding/pem"
	"errors"
	"fmt"
	"io"
	"math/big"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/stretchr/testify/require"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	"k8s.io/apimachinery/pkg/api/meta"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"k8s.io/apimachinery/pkg/runtime/schema"
	"k8s.io/apimachinery/pkg/types"
	utilyaml "k8s.io/apimachinery/pkg/util/yaml"
	"k8s.io/client-go/discovery"
	"k8s.io/client-go/discovery/cached/memory"
	"k8s.io/client-go/dynamic"
	"k8s.io/client-go/rest"
	"k8s.io/client-go/restmapper"
)

// adminToken authenticates the suite and Argo CD to every API server, as system:masters.
const adminToken = "shopset-e2e-admin"

// suite owns every process of one run and the directory they work in.
type suite struct {
	t    *testing.T
	bin  string // programs built by e2e/build.sh
	work string // this run's directory; logs/ holds every process's output
	ca   []byte // PEM of the CA that signed the API servers' certificate

	mu    sync.Mutex
	procs []*process

	timings []timing
}

type timing struct {
	step string
	took time.Duration
}

// newSuite prepares a work directory. It is removed after a passing run and kept,
// with every process's log, after a failing one (or with SHOPSET_E2E_KEEP=1).
func newSuite(t *testing.T) *suite {
	bin := os.Getenv("SHOPSET_E2E_BIN")
	if bin == "" {
		t.Fatal("SHOPSET_E2E_BIN is not set: run the suite with e2e/run.sh, which builds the programs it needs")
	}
	work, err := os.MkdirTemp("", "shopset-e2e-")
	require.NoError(t, err)
	require.NoError(t, os.MkdirAll(filepath.Join(work, "logs"), 0o755))
	require.NoError(t, os.MkdirAll(filepath.Join(work, "home"), 0o755))
	s := &suite{t: t, bin: bin, work: work}
	t.Logf("work directory and process logs: %s", filepath.Join(work, "logs"))
	t.Cleanup(func() {
		s.stopAll()
		if t.Failed() {
			s.dumpLogs()
			t.Logf("FAILED: every process's log is kept in %s", filepath.Join(work, "logs"))
			return
		}
		if os.Getenv("SHOPSET_E2E_KEEP") != "" {
			t.Logf("kept %s", work)
			return
		}
		os.RemoveAll(work)
	})
	return s
}

func (s *suite) path(elem ...string) string {
	return filepath.Join(append([]string{s.work}, elem...)...)
}

// step runs one timed part of the scenario; the timings are reported at the end.
func (s *suite) step(name string, fn func()) {
	s.t.Helper()
	start := time.Now()
	s.t.Logf("== %s", name)
	fn()
	took := time.Since(start)
	s.timings = append(s.timings, timing{name, took})
	s.t.Logf("== %s: done in %.1fs", name, took.Seconds())
}

func (s *suite) report() {
	var b strings.Builder
	b.WriteString("step timings:\n")
	var total time.Duration
	for _, tm := range s.timings {
		fmt.Fprintf(&b, "  %6.1fs  %s\n", tm.took.Seconds(), tm.step)
		total += tm.took
	}
	fmt.Fprintf(&b, "  %6.1fs  total\nresident memory (VmRSS) now:\n", total.Seconds())
	s.mu.Lock()
	for _, p := range s.procs {
		fmt.Fprintf(&b, "  %6d MiB  %s\n", rssMiB(p.cmd.Process.Pid), p.name)
	}
	s.mu.Unlock()
	s.t.Log(b.String())
}

func rssMiB(pid int) int {
	b, err := os.ReadFile(fmt.Sprintf("/proc/%d/status", pid))
	if err != nil {
		return -1
	}
	for _, line := range strings.Split(string(b), "\n") {
		if rest, ok := strings.CutPrefix(line, "VmRSS:"); ok {
			kb, _ := strconv.Atoi(strings.TrimSuffix(strings.TrimSpace(rest), " kB"))
			return kb / 1024
		}
	}
	return -1
}

// process is one program the suite started.
type process struct {
	name string
	cmd  *exec.Cmd
	log  string
	// killOnly: the program ignores SIGTERM (argocd-cmp-server does).
	killOnly bool
	done     chan struct{}
	err      error
}

// start runs bin with args; its output goes to logs/<name>.log. The environment is the
// suite's own (PATH with the built programs first, a private HOME), plus env.
func (s *suite) start(name, bin string, env []string, args ...string) *process {
	s.t.Helper()
	logPath := s.path("logs", name+".log")
	f, err := os.Create(logPath)
	require.NoError(s.t, err)
	cmd := exec.Command(bin, args...)
	cmd.Dir = s.work
	cmd.Stdout, cmd.Stderr = f, f
	cmd.Env = append([]string{
		"PATH=" + s.bin + string(os.PathListSeparator) + os.Getenv("PATH"),
		"HOME=" + s.path("home"),
		"LANG=C.UTF-8",
	}, env...)
	// Its own process group, so stopping it stops what it started (git, the plugin);
	// killed with the suite if the suite dies first.
	cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true, Pdeathsig: syscall.SIGKILL}
	require.NoError(s.t, cmd.Start(), "starting %s", name)
	p := &process{name: name, cmd: cmd, log: logPath, done: make(chan struct{})}
	go func() {
		p.err = cmd.Wait()
		f.Close()
		close(p.done)
	}()
	s.mu.Lock()
	s.procs = append(s.procs, p)
	s.mu.Unlock()
	return p
}

// exited reports a process that ended while the suite still needs it.
func (s *suite) exited() error {
	s.mu.Lock()
	defer s.mu.Unlock()
	for _, p := range s.procs {
		select {
		case <-p.done:
			return fmt.Errorf("%s exited (%v); its log: %s\n%s", p.name, p.err, p.log, tail(p.log, 20))
		default:
		}
	}
	return nil
}

// stopAll stops the processes in the reverse order of their start.
func (s *suite) stopAll() {
	s.mu.Lock()
	procs := s.procs
	s.procs = nil
	s.mu.Unlock()
	for i := len(procs) - 1; i >= 0; i-- {
		procs[i].terminate(5 * time.Second)
	}
}

// terminate stops the process group: SIGTERM (SIGKILL for processes that ignore it),
// then SIGKILL if it has not ended within grace.
func (p *process) terminate(grace time.Duration) {
	sig := syscall.SIGTERM
	if p.killOnly {
		sig = syscall.SIGKILL
	}
	syscall.Kill(-p.cmd.Process.Pid, sig)
	select {
	case <-p.done:
	case <-time.After(grace):
		syscall.Kill(-p.cmd.Process.Pid, syscall.SIGKILL)
		<-p.done
	}
}

func (s *suite) dumpLogs() {
	entries, _ := os.ReadDir(s.path("logs"))
	for _, e := range entries {
		s.t.Logf("--- last lines of %s:\n%s", e.Name(), tail(s.path("logs", e.Name()), 15))
	}
}

func tail(path string, n int) string {
	b, err := os.ReadFile(path)
	if err != nil {
		return err.Error()
	}
	lines := strings.Split(strings.TrimRight(string(b), "\n"), "\n")
	if len(lines) > n {
		lines = lines[len(lines)-n:]
	}
	return strings.Join(lines, "\n")
}

// eventually polls cond every 250ms until it reports done, failing the test after
// timeout with cond's last word. It stops early when a process the suite started dies.
func (s *suite) eventually(timeout time.Duration, what string, cond func() (bool, string)) {
	s.t.Helper()
	deadline := time.Now().Add(timeout)
	last := ""
	for {
		done, status := cond()
		if done {
			return
		}
		last = status
		if err := s.exited(); err != nil {
			s.t.Fatalf("waiting for %s: %v", what, err)
		}
		if time.Now().After(deadline) {
			s.t.Fatalf("waiting for %s: not done after %s: %s", what, timeout, last)
		}
		time.Sleep(250 * time.Millisecond)
	}
}

// freePort asks the kernel for a free port on 127.0.0.1.
func freePort(t *testing.T) int {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	require.NoError(t, err)
	defer ln.Close()
	return ln.Addr().(*net.TCPAddr).Port
}

func addr(port int) string { return "127.0.0.1:" + strconv.Itoa(port) }

// waitHTTP waits until url answers with one of the codes.
func (s *suite) waitHTTP(timeout time.Duration, url string, client *http.Client, codes ...int) {
	s.t.Helper()
	if client == nil {
		client = &http.Client{Timeout: 2 * time.Second}
	}
	s.eventually(timeout, url, func() (bool, string) {
		resp, err := client.Get(url)
		if err != nil {
			return false, err.Error()
		}
		io.Copy(io.Discard, resp.Body)
		resp.Body.Close()
		for _, c := range codes {
			if resp.StatusCode == c {
				return true, ""
			}
		}
		return false, resp.Status
	})
}

// writePKI writes a CA, a serving certificate for 127.0.0.1 and a service-account key
// pair into dir and returns the CA's PEM.
func writePKI(t *testing.T, dir string) []byte {
	t.Helper()
	require.NoError(t, os.MkdirAll(dir, 0o700))
	newKey := func() *ecdsa.PrivateKey {
		k, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
		require.NoError(t, err)
		return k
	}
	writePEM := func(name, typ string, der []byte) {
		require.NoError(t, os.WriteFile(filepath.Join(dir, name), pem.EncodeToMemory(&pem.Block{Type: typ, Bytes: der}), 0o600))
	}
	keyDER := func(k *ecdsa.PrivateKey) []byte {
		der, err := x509.MarshalECPrivateKey(k)
		require.NoError(t, err)
		return der
	}
	now := time.Now()
	caKey := newKey()
	caTmpl := &x509.Certificate{
		SerialNumber: big.NewInt(1), Subject: pkix.Name{CommonName: "shopset-e2e-ca"},
		NotBefore: now.Add(-time.Hour), NotAfter: now.Add(24 * time.Hour),
		IsCA: true, BasicConstraintsValid: true, KeyUsage: x509.KeyUsageCertSign | x509.KeyUsageDigitalSignature,
	}
	caDER, err := x509.CreateCertificate(rand.Reader, caTmpl, caTmpl, &caKey.PublicKey, caKey)
	require.NoError(t, err)
	caCert, err := x509.ParseCertificate(caDER)
	require.NoError(t, err)
	writePEM("ca.crt", "CERTIFICATE", caDER)

	srvKey := newKey()
	srvTmpl := &x509.Certificate{
		SerialNumber: big.NewInt(2), Subject: pkix.Name{CommonName: "kube-apiserver"},
		NotBefore: now.Add(-time.Hour), NotAfter: now.Add(24 * time.Hour),
		KeyUsage: x509.KeyUsageDigitalSignature, ExtKeyUsage: []x509.ExtKeyUsage{x509.ExtKeyUsageServerAuth},
		IPAddresses: []net.IP{net.ParseIP("127.0.0.1")}, DNSNames: []string{"localhost"},
	}
	srvDER, err := x509.CreateCertificate(rand.Reader, srvTmpl, caCert, &srvKey.PublicKey, caKey)
	require.NoError(t, err)
	writePEM("apiserver.crt", "CERTIFICATE", srvDER)
	writePEM("apiserver.key", "EC PRIVATE KEY", keyDER(srvKey))

	saKey := newKey()
	writePEM("sa.key", "EC PRIVATE KEY", keyDER(saKey))
	pub, err := x509.MarshalPKIXPublicKey(&saKey.PublicKey)
	require.NoError(t, err)
	writePEM("sa.pub", "PUBLIC KEY", pub)

	require.NoError(t, os.WriteFile(filepath.Join(dir, "tokens.csv"),
		[]byte(adminToken+`,admin,admin,"system:masters"`+"\n"), 0o600))
	return pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: caDER})
}

// startEtcd starts one etcd for every API server; each keeps its own key prefix.
func (s *suite) startEtcd() string {
	s.t.Helper()
	client, peer := addr(freePort(s.t)), addr(freePort(s.t))
	s.start("etcd", "etcd", nil,
		"--name", "e2e", "--data-dir", s.path("etcd"),
		"--listen-client-urls", "http://"+client, "--advertise-client-urls", "http://"+client,
		"--listen-peer-urls", "http://"+peer, "--initial-advertise-peer-urls", "http://"+peer,
		"--initial-cluster", "e2e=http://"+peer, "--unsafe-no-fsync")
	s.waitHTTP(30*time.Second, "http://"+client+"/health", nil, http.StatusOK)
	return "http://" + client
}

func (s *suite) startRedis() string {
	s.t.Helper()
	port := freePort(s.t)
	s.start("redis", "redis-server", nil, "--bind", "127.0.0.1", "--port", strconv.Itoa(port), "--save", "", "--appendonly", "no")
	s.eventually(30*time.Second, "redis", func() (bool, string) {
		c, err := net.DialTimeout("tcp", addr(port), time.Second)
		if err != nil {
			return false, err.Error()
		}
		defer c.Close()
		fmt.Fprint(c, "PING\r\n")
		c.SetReadDeadline(time.Now().Add(time.Second))
		line, err := bufio.NewReader(c).ReadString('\n')
		return err == nil && strings.HasPrefix(line, "+PONG"), line
	})
	return addr(port)
}

// cluster is one kube-apiserver and the suite's clients for it.
type cluster struct {
	name   string // kube-apiserver-N
	url    string
	config *rest.Config
	dyn    dynamic.Interface
	mapper *restmapper.DeferredDiscoveryRESTMapper
}

// startAPIServer starts the index-th kube-apiserver on the shared etcd.
func (s *suite) startAPIServer(index int, etcd string) *cluster {
	s.t.Helper()
	pki := s.path("pki")
	port := freePort(s.t)
	name := fmt.Sprintf("kube-apiserver-%d", index)
	s.start(name, filepath.Join(s.bin, "kube-apiserver"), nil,
		"--etcd-servers="+etcd, fmt.Sprintf("--etcd-prefix=/cluster-%d", index),
		"--bind-address=127.0.0.1", "--advertise-address=127.0.0.1", "--secure-port="+strconv.Itoa(port),
		"--endpoint-reconciler-type=none",
		"--tls-cert-file="+filepath.Join(pki, "apiserver.crt"), "--tls-private-key-file="+filepath.Join(pki, "apiserver.key"),
		"--client-ca-file="+filepath.Join(pki, "ca.crt"),
		"--service-account-key-file="+filepath.Join(pki, "sa.pub"), "--service-account-signing-key-file="+filepath.Join(pki, "sa.key"),
		"--service-account-issuer=https://kubernetes.default.svc.cluster.local",
		"--token-auth-file="+filepath.Join(pki, "tokens.csv"),
		"--authorization-mode=RBAC", "--service-cluster-ip-range=10.0.0.0/24",
		"--enable-priority-and-fairness=false", "--profiling=false",
		"--cert-dir="+s.path(name+"-certs"), "--v=1")
	url := "https://" + addr(port)
	cfg := &rest.Config{Host: url, BearerToken: adminToken, TLSClientConfig: rest.TLSClientConfig{CAData: s.ca}, QPS: 100, Burst: 200}
	pool := x509.NewCertPool()
	pool.AppendCertsFromPEM(s.ca)
	client := &http.Client{Timeout: 2 * time.Second, Transport: &bearer{&http.Transport{TLSClientConfig: &tls.Config{RootCAs: pool}}}}
	s.waitHTTP(90*time.Second, url+"/readyz", client, http.StatusOK)
	dyn, err := dynamic.NewForConfig(cfg)
	require.NoError(s.t, err)
	disc, err := discovery.NewDiscoveryClientForConfig(cfg)
	require.NoError(s.t, err)
	return &cluster{name: name, url: url, config: cfg, dyn: dyn, mapper: restmapper.NewDeferredDiscoveryRESTMapper(memory.NewMemCacheClient(disc))}
}

type bearer struct{ rt http.RoundTripper }

func (b *bearer) RoundTrip(r *http.Request) (*http.Response, error) {
	r = r.Clone(r.Context())
	r.Header.Set("Authorization", "Bearer "+adminToken)
	return b.rt.RoundTrip(r)
}

// writeKubeconfig writes a kubeconfig for c, namespace as its context's namespace.
func (s *suite) writeKubeconfig(c *cluster, namespace string) string {
	s.t.Helper()
	return s.writeKubeconfigAs(c, namespace, "kubeconfig-"+c.name, adminToken)
}

// writeKubeconfigAs writes a kubeconfig for c that authenticates with token, as file.
func (s *suite) writeKubeconfigAs(c *cluster, namespace, file, token string) string {
	s.t.Helper()
	path := s.path(file)
	cfg := fmt.Sprintf(`apiVersion: v1
kind: Config
clusters:
- name: e2e
  cluster:
    server: %s
    certificate-authority: %s
users:
- name: admin
  user:
    token: %s
contexts:
- name: e2e
  context: {cluster: e2e, user: admin, namespace: %s}
current-context: e2e
`, c.url, s.path("pki", "ca.crt"), token, namespace)
	require.NoError(s.t, os.WriteFile(path, []byte(cfg), 0o600))
	return path
}

// startControllerManager runs the controllers a cluster needs for what Argo CD does to it
// and for workloads to progress: the garbage collector (Argo CD deletes with foreground
// propagation, which waits on it), the namespace and service account controllers, and
// the deployment, replica set and disruption controllers (a Deployment's and a
// PodDisruptionBudget's status is what Argo CD's health reads).
func (s *suite) startControllerManager(c *cluster) {
	s.t.Helper()
	s.start(strings.Replace(c.name, "kube-apiserver", "kube-controller-manager", 1),
		filepath.Join(s.bin, "kube-controller-manager"), nil,
		"--kubeconfig="+s.writeKubeconfig(c, "default"),
		"--controllers=garbage-collector-controller,namespace-controller,serviceaccount-controller,"+
			"deployment-controller,replicaset-controller,disruption-controller",
		"--leader-elect=false", "--secure-port=0", "--use-service-account-credentials=false", "--v=1")
}

// kwokStages is kwok's pod lifecycle for the suite: its fast stages (a pod becomes ready
// as soon as it is scheduled, and goes when deleted), except that a pod with a container
// image tagged "...-broken" never becomes ready, so a Deployment of it never becomes
// available and Argo CD never finds it Healthy.
const kwokStages = `apiVersion: kwok.x-k8s.io/v1alpha1
kind: Stage
metadata:
  name: pod-ready
spec:
  resourceRef:
    apiGroup: v1
    kind: Pod
  selector:
    matchExpressions:
    - key: '.metadata.deletionTimestamp'
      operator: 'DoesNotExist'
    - key: '.status.podIP'
      operator: 'DoesNotExist'
    - key: '.spec.containers | any(.image | endswith("-broken"))'
      operator: 'NotIn'
      values: ['true']
  next:
    statusTemplate: |
      {{ $now := Now }}
      conditions:
      - lastTransitionTime: {{ $now | Quote }}
        status: "True"
        type: Initialized
      - lastTransitionTime: {{ $now | Quote }}
        status: "True"
        type: Ready
      - lastTransitionTime: {{ $now | Quote }}
        status: "True"
        type: ContainersReady
      containerStatuses:
      {{ range .spec.containers }}
      - image: {{ .image | Quote }}
        name: {{ .name | Quote }}
        ready: true
        restartCount: 0
        state:
          running:
            startedAt: {{ $now | Quote }}
      {{ end }}
      hostIP: {{ NodeIPWith .spec.nodeName | Quote }}
      podIP: {{ PodIPWith .spec.nodeName ( or .spec.hostNetwork false ) ( or .metadata.uid "" ) ( or .metadata.name "" ) ( or .metadata.namespace "" ) | Quote }}
      phase: Running
      startTime: {{ $now | Quote }}
---
apiVersion: kwok.x-k8s.io/v1alpha1
kind: Stage
metadata:
  name: pod-delete
spec:
  resourceRef:
    apiGroup: v1
    kind: Pod
  selector:
    matchExpressions:
    - key: '.metadata.deletionTimestamp'
      operator: 'Exists'
  next:
    finalizers:
      empty: true
    delete: true
`

// startWorkloads makes pods run on c without a kubelet: kube-scheduler places them on a
// node that kwok simulates (it keeps the node Ready and moves pods through kwokStages).
func (s *suite) startWorkloads(ctx context.Context, c *cluster) {
	s.t.Helper()
	kubeconfig := s.writeKubeconfig(c, "default")
	s.start(strings.Replace(c.name, "kube-apiserver", "kube-scheduler", 1), filepath.Join(s.bin, "kube-scheduler"), nil,
		"--kubeconfig="+kubeconfig, "--leader-elect=false", "--secure-port=0", "--v=1")
	stages := s.path("kwok-stages.yaml")
	require.NoError(s.t, os.WriteFile(stages, []byte(kwokStages), 0o644))
	s.start(strings.Replace(c.name, "kube-apiserver", "kwok", 1), filepath.Join(s.bin, "kwok"), nil,
		"--kubeconfig="+kubeconfig, "--config="+stages,
		"--manage-all-nodes=false", "--manage-nodes-with-annotation-selector=kwok.x-k8s.io/node=fake",
		"--node-ip=10.0.0.1", "--cidr=10.1.0.0/16")
	node := decode(s.t, []byte(`apiVersion: v1
kind: Node
metadata:
  name: kwok-node-0
  annotations: {kwok.x-k8s.io/node: fake, node.alpha.kubernetes.io/ttl: "0"}
  labels: {kubernetes.io/hostname: kwok-node-0, kubernetes.io/os: linux, type: kwok}
`))
	require.NoError(s.t, c.apply(ctx, "e2e", node...))
	// The API server taints a new node not-ready, and only the node lifecycle controller
	// (not run here) takes the taint off once the node is Ready: take it off here, kwok
	// keeps the node Ready.
	nodes, err := c.resource(schema.GroupVersionKind{Version: "v1", Kind: "Node"}, "")
	require.NoError(s.t, err)
	_, err = nodes.Patch(ctx, "kwok-node-0", types.MergePatchType, []byte(`{"spec":{"taints":null}}`), metav1.PatchOptions{})
	require.NoError(s.t, err)
}

// stop stops the process name, as stopAll would, and forgets it.
func (s *suite) stop(name string) *process {
	s.t.Helper()
	s.mu.Lock()
	var p *process
	for i, q := range s.procs {
		if q.name == name {
			p = q
			s.procs = append(s.procs[:i:i], s.procs[i+1:]...)
			break
		}
	}
	s.mu.Unlock()
	require.NotNil(s.t, p, "no process %s", name)
	p.terminate(10 * time.Second)
	return p
}

// restart stops the process name and starts it again with the same arguments, as a pod
// restart would; its new output goes to logs/<name>-restarted.log.
func (s *suite) restart(name string) {
	s.t.Helper()
	p := s.stop(name)
	s.start(name+"-restarted", p.cmd.Path, nil, p.cmd.Args[1:]...)
}

// decode splits a YAML stream into objects.
func decode(t *testing.T, data []byte) []*unstructured.Unstructured {
	t.Helper()
	d := utilyaml.NewYAMLOrJSONDecoder(bytes.NewReader(data), 4096)
	var objs []*unstructured.Unstructured
	for {
		var m map[string]any
		err := d.Decode(&m)
		if errors.Is(err, io.EOF) {
			return objs
		}
		require.NoError(t, err)
		if len(m) > 0 {
			objs = append(objs, &unstructured.Unstructured{Object: m})
		}
	}
}

// resource finds the REST resource of gvk, refreshing discovery once for new CRDs.
func (c *cluster) resource(gvk schema.GroupVersionKind, namespace string) (dynamic.ResourceInterface, error) {
	m, err := c.mapper.RESTMapping(gvk.GroupKind(), gvk.Version)
	if meta.IsNoMatchError(err) {
		c.mapper.Reset()
		m, err = c.mapper.RESTMapping(gvk.GroupKind(), gvk.Version)
	}
	if err != nil {
		return nil, err
	}
	if m.Scope.Name() == meta.RESTScopeNameNamespace {
		return c.dyn.Resource(m.Resource).Namespace(namespace), nil
	}
	return c.dyn.Resource(m.Resource), nil
}

// apply server-side applies objs as fieldManager, the way kubectl apply --server-side does.
func (c *cluster) apply(ctx context.Context, fieldManager string, objs ...*unstructured.Unstructured) error {
	for _, o := range objs {
		r, err := c.resource(o.GroupVersionKind(), o.GetNamespace())
		if err != nil {
			return fmt.Errorf("%s %s: %w", o.GetKind(), o.GetName(), err)
		}
		if _, err := r.Apply(ctx, o.GetName(), o, metav1.ApplyOptions{FieldManager: fieldManager, Force: true}); err != nil {
			return fmt.Errorf("applying %s %s/%s: %w", o.GetKind(), o.GetNamespace(), o.GetName(), err)
		}
	}
	return nil
}

// resourceFor is o's REST resource; a namespaced object with no namespace gets namespace,
// a cluster-scoped one none.
func (c *cluster) resourceFor(o *unstructured.Unstructured, namespace string) (dynamic.ResourceInterface, error) {
	gvk := o.GroupVersionKind()
	m, err := c.mapper.RESTMapping(gvk.GroupKind(), gvk.Version)
	if meta.IsNoMatchError(err) {
		c.mapper.Reset()
		m, err = c.mapper.RESTMapping(gvk.GroupKind(), gvk.Version)
	}
	if err != nil {
		return nil, fmt.Errorf("%s %s: %w", o.GetKind(), o.GetName(), err)
	}
	if m.Scope.Name() != meta.RESTScopeNameNamespace {
		o.SetNamespace("")
		return c.dyn.Resource(m.Resource), nil
	}
	if o.GetNamespace() == "" {
		o.SetNamespace(namespace)
	}
	if o.GetNamespace() == "" {
		return nil, fmt.Errorf("%s %s: no namespace", o.GetKind(), o.GetName())
	}
	return c.dyn.Resource(m.Resource).Namespace(o.GetNamespace()), nil
}

// patch sends o as a patch of pt to the object it names in namespace, as kubectl patch
// --patch-file does (which sends the file's YAML as JSON).
func (c *cluster) patch(ctx context.Context, pt types.PatchType, namespace string, o *unstructured.Unstructured) error {
	if o == nil {
		return fmt.Errorf("no patch")
	}
	r, err := c.resourceFor(o.DeepCopy(), namespace)
	if err != nil {
		return err
	}
	b, err := json.Marshal(o.Object)
	if err != nil {
		return fmt.Errorf("encoding the patch of %s %s: %w", o.GetKind(), o.GetName(), err)
	}
	if _, err := r.Patch(ctx, o.GetName(), pt, b, metav1.PatchOptions{FieldManager: "kubectl-patch"}); err != nil {
		return fmt.Errorf("patching %s %s (%s): %w", o.GetKind(), o.GetName(), strings.TrimSuffix(string(pt), "+json"), err)
	}
	return nil
}

var (
	gvrApplication    = schema.GroupVersionResource{Group: "argoproj.io", Version: "v1alpha1", Resource: "applications"}
	gvrApplicationSet = schema.GroupVersionResource{Group: "argoproj.io", Version: "v1alpha1", Resource: "applicationsets"}
	gvrDeployment     = schema.GroupVersionResource{Group: "apps", Version: "v1", Resource: "deployments"}
	gvrConfigMap      = schema.GroupVersionResource{Version: "v1", Resource: "configmaps"}
	gvrNamespace      = schema.GroupVersionResource{Version: "v1", Resource: "namespaces"}
)

// get reads one object; a missing object is (nil, nil).
func (c *cluster) get(ctx context.Context, gvr schema.GroupVersionResource, namespace, name string) (*unstructured.Unstructured, error) {
	var r dynamic.ResourceInterface = c.dyn.Resource(gvr)
	if namespace != "" {
		r = c.dyn.Resource(gvr).Namespace(namespace)
	}
	o, err := r.Get(ctx, name, metav1.GetOptions{})
	if apierrors.IsNotFound(err) {
		return nil, nil
	}
	return o, err
}

func (c *cluster) list(ctx context.Context, gvr schema.GroupVersionResource, namespace, selector string) ([]unstructured.Unstructured, error) {
	l, err := c.dyn.Resource(gvr).Namespace(namespace).List(ctx, metav1.ListOptions{LabelSelector: selector})
	if err != nil {
		return nil, err
	}
	return l.Items, nil
}

// run runs a program to completion and returns its stdout; stderr goes to the error.
func run(ctx context.Context, dir string, env []string, name string, args ...string) (string, error) {
	cmd := exec.CommandContext(ctx, name, args...)
	cmd.Dir = dir
	cmd.Env = append(os.Environ(), env...)
	var stdout, stderr bytes.Buffer
	cmd.Stdout, cmd.Stderr = &stdout, &stderr
	err := cmd.Run()
	if err != nil {
		return stdout.String(), fmt.Errorf("%s %s: %w\n%s%s", name, strings.Join(args, " "), err, stdout.String(), stderr.String())
	}
	return stdout.String(), nil
}

// tcpProxy forwards TCP connections to target, and can be cut: the suite's stand-in for
// the network between the generator and the Kubernetes API.
type tcpProxy struct {
	ln     net.Listener
	target string

	mu    sync.Mutex
	down  bool
	conns map[net.Conn]struct{}
}

func (s *suite) startProxy(target string) *tcpProxy {
	s.t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	require.NoError(s.t, err)
	p := &tcpProxy{ln: ln, target: target, conns: map[net.Conn]struct{}{}}
	s.t.Cleanup(func() { ln.Close(); p.SetDown(true) })
	go func() {
		for {
			c, err := ln.Accept()
			if err != nil {
				return
			}
			go p.serve(c)
		}
	}()
	return p
}

func (p *tcpProxy) addr() string { return p.ln.Addr().String() }

func (p *tcpProxy) serve(c net.Conn) {
	p.mu.Lock()
	if p.down {
		p.mu.Unlock()
		c.Close()
		return
	}
	p.mu.Unlock()
	up, err := net.DialTimeout("tcp", p.target, 5*time.Second)
	if err != nil {
		c.Close()
		return
	}
	p.mu.Lock()
	p.conns[c], p.conns[up] = struct{}{}, struct{}{}
	p.mu.Unlock()
	done := make(chan struct{}, 2)
	go func() { io.Copy(up, c); done <- struct{}{} }()
	go func() { io.Copy(c, up); done <- struct{}{} }()
	<-done
	c.Close()
	up.Close()
	p.mu.Lock()
	delete(p.conns, c)
	delete(p.conns, up)
	p.mu.Unlock()
}

// SetDown cuts every connection and refuses new ones (down), or lets them through again.
func (p *tcpProxy) SetDown(down bool) {
	p.mu.Lock()
	defer p.mu.Unlock()
	p.down = down
	if down {
		for c := range p.conns {
			c.Close()
		}
	}
}
