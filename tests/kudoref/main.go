// kudoref is KUDO 0.19 as the oracle for whole packages: it loads a tests/render case's package
// with KUDO's own reader, resolves its parameters with KUDO's own CLI and admission code, renders
// the plan's Apply and Toggle tasks with KUDO's own engine and decodes every rendered file with
// renderer.YamlToObject, exactly as KUDO's task runner does before it applies anything.
//
//	kudoref render CASE_DIR              KUDO's objects for the case, as JSON
//	kudoref compare [-v] KUDOC CASE_DIR...  runs `KUDOC template -o json` for every case and
//	                                     compares its objects with KUDO's; ends with the line
//	                                     "N passed, N failed"
//
// A case folder is the one tests/unit/test_render_cases.c reads: package/ or package.path,
// an optional params.yaml (passed as -P params.yaml) and an optional args file (one argument a
// line: -p NAME=VALUE, -P FILE, --instance NAME, -n NS, --plan NAME). A case where kudoc
// deliberately differs from KUDO holds kudo-differs.txt: its first line says how
// ("kudoc-fails": kudoc refuses what KUDO renders; "kudo-fails": KUDO refuses what kudoc
// renders; "objects": both render, the objects differ), the rest says why. A marker that no
// longer matches what happens fails the case, so markers cannot go stale.
package main

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"math/big"
	"os"
	"os/exec"
	"path/filepath"
	"reflect"
	"sort"
	"strconv"
	"strings"

	"github.com/spf13/afero"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"k8s.io/client-go/kubernetes/scheme"
	"sigs.k8s.io/yaml"

	kudoapi "github.com/kudobuilder/kudo/pkg/apis/kudo/v1beta1"
	"github.com/kudobuilder/kudo/pkg/controller/instance"
	"github.com/kudobuilder/kudo/pkg/engine"
	"github.com/kudobuilder/kudo/pkg/engine/renderer"
	"github.com/kudobuilder/kudo/pkg/engine/task"
	"github.com/kudobuilder/kudo/pkg/kudoctl/cmd/params"
	"github.com/kudobuilder/kudo/pkg/kudoctl/packages"
	"github.com/kudobuilder/kudo/pkg/kudoctl/packages/reader"
)

// caseArgs are the command-line arguments of a case, as kudoc's parser reads them.
type caseArgs struct {
	pkg       string
	instance  *string
	namespace *string
	plan      *string
	pflags    []string
	pfiles    []string
}

// doc is one object KUDO would apply.
type doc struct {
	Template string `json:"template"`
	// Object is the document as sigs.k8s.io/yaml turns it into JSON: what the typed decoder
	// reads, and, for kinds the scheme does not know, the object KUDO applies.
	Object map[string]interface{} `json:"object"`
	// Typed is the object as the scheme decoded it (nil for unstructured objects): what KUDO's
	// client sends for built-in kinds.
	Typed json.RawMessage `json:"typed,omitempty"`
}

type result struct {
	OK    bool   `json:"ok"`
	Error string `json:"error,omitempty"`
	Docs  []doc  `json:"docs"`
}

func readArgs(dir string) (caseArgs, error) {
	var a caseArgs
	a.pkg = filepath.Join(dir, "package")
	if b, err := os.ReadFile(filepath.Join(dir, "package.path")); err == nil {
		p := strings.TrimSpace(strings.SplitN(string(b), "\n", 2)[0])
		a.pkg = filepath.Join(dir, p)
	}
	if _, err := os.Stat(filepath.Join(dir, "params.yaml")); err == nil {
		a.pfiles = append(a.pfiles, "params.yaml")
	}
	b, err := os.ReadFile(filepath.Join(dir, "args"))
	if err != nil && !errors.Is(err, os.ErrNotExist) {
		return a, err
	}
	var argv []string
	for _, l := range strings.Split(string(b), "\n") {
		if l != "" {
			argv = append(argv, l)
		}
	}
	str := func(s string) *string { return &s }
	for i := 0; i < len(argv); i++ {
		arg := argv[i]
		var name, value string
		var has bool
		switch {
		case strings.HasPrefix(arg, "--"):
			name = arg
			if eq := strings.IndexByte(arg, '='); eq >= 0 {
				name, value, has = arg[:eq], arg[eq+1:], true
			}
		case len(arg) > 2 && arg[0] == '-':
			name, value, has = arg[:2], strings.TrimPrefix(arg[2:], "="), true
		default:
			name = arg
		}
		if !has {
			if i+1 >= len(argv) {
				return a, fmt.Errorf("args: %s needs a value", arg)
			}
			i++
			value = argv[i]
		}
		switch name {
		case "-p", "--parameter":
			a.pflags = append(a.pflags, value)
		case "-P", "--parameter-file":
			a.pfiles = append(a.pfiles, value)
		case "--instance":
			a.instance = str(value)
		case "-n", "--namespace":
			a.namespace = str(value)
		case "--plan":
			a.plan = str(value)
		default:
			return a, fmt.Errorf("args: unknown flag %s", arg)
		}
	}
	return a, nil
}

// loadPackage reads a folder or a .tgz as KUDO's local resolver does.
func loadPackage(path string) (*packages.Resources, error) {
	fs := afero.NewOsFs()
	fi, err := fs.Stat(path)
	if err != nil {
		return nil, err
	}
	if fi.IsDir() {
		return reader.ResourcesFromDir(fs, path)
	}
	return reader.ResourcesFromTar(fs, afero.NewMemMapFs(), path)
}

// missingRequired is the check `kubectl kudo install` makes before it creates the Instance
// (pkg/kudoctl/packages/install.validateParameters, which is not exported).
func missingRequired(values map[string]string, defs []kudoapi.Parameter) error {
	var missing []string
	for _, p := range defs {
		if p.IsRequired() && !p.HasDefault() {
			if _, ok := values[p.Name]; !ok {
				missing = append(missing, p.Name)
			}
		}
	}
	if len(missing) > 0 {
		return fmt.Errorf("missing required parameters during installation: %s", strings.Join(missing, ","))
	}
	return nil
}

// admit is what KUDO's Instance admission webhook does on create (handleCreate): deploy must
// exist, immutable defaults are stored, every value must fit its parameter.
func admit(ov *kudoapi.OperatorVersion, inst *kudoapi.Instance) error {
	if !kudoapi.PlanExists(kudoapi.DeployPlanName, ov) {
		return fmt.Errorf("couldn't find '%s' plan in the operatorVersion", kudoapi.DeployPlanName)
	}
	for _, p := range ov.Spec.Parameters {
		if p.IsImmutable() && p.HasDefault() {
			if _, ok := inst.Spec.Parameters[p.Name]; !ok {
				inst.Spec.Parameters[p.Name] = *p.Default
			}
		}
	}
	for _, p := range ov.Spec.Parameters {
		p := p
		if err := p.ValidateValue(inst.Spec.Parameters[p.Name]); err != nil {
			return fmt.Errorf("parameters are not valid: %v", err)
		}
	}
	return nil
}

// decodeDocs is renderer.YamlToObject plus, for each object it returns, the JSON the decoder
// read (the same split and the same emptiness rule; see YamlToObject).
func decodeDocs(name, rendered string) ([]doc, error) {
	objs, err := renderer.YamlToObject(rendered)
	if err != nil {
		return nil, err
	}
	var docs []doc
	for _, chunk := range strings.Split(rendered, "\n---") {
		if len(strings.TrimSpace(chunk)) == 0 {
			continue
		}
		j, err := yaml.YAMLToJSON([]byte(chunk))
		if err != nil {
			return nil, fmt.Errorf("YamlToObject accepted a chunk YAMLToJSON refuses: %v", err)
		}
		var m map[string]interface{}
		if err := json.Unmarshal(j, &m); err != nil || len(m) == 0 {
			continue // null: only comments (YamlToObject skips it too)
		}
		docs = append(docs, doc{Template: name, Object: m})
	}
	if len(docs) != len(objs) {
		return nil, fmt.Errorf("internal: YamlToObject gave %d objects, the chunks %d", len(objs), len(docs))
	}
	for i, o := range objs {
		if _, ok := o.(*unstructured.Unstructured); ok {
			continue
		}
		b, err := json.Marshal(o)
		if err != nil {
			return nil, err
		}
		docs[i].Typed = b
	}
	return docs, nil
}

// render runs KUDO on one case.
func render(dir string) (res result) {
	res.Docs = []doc{}
	fail := func(err error) result {
		return result{OK: false, Error: err.Error(), Docs: []doc{}}
	}
	a, err := readArgs(dir)
	if err != nil {
		return fail(err)
	}
	cwd, err := os.Getwd()
	if err != nil {
		return fail(err)
	}
	if err := os.Chdir(dir); err != nil {
		return fail(err)
	}
	defer func() { _ = os.Chdir(cwd) }()
	pkgPath, _ := filepath.Rel(dir, a.pkg)

	values, err := params.GetParameterMap(afero.NewOsFs(), a.pflags, a.pfiles)
	if err != nil {
		return fail(err)
	}
	r, err := loadPackage(pkgPath)
	if err != nil {
		return fail(err)
	}
	ov := r.OperatorVersion
	inst := r.Instance
	inst.Namespace = "default"
	if a.namespace != nil {
		inst.Namespace = *a.namespace
	}
	if a.instance != nil && *a.instance != "" {
		inst.Name = *a.instance
	}
	inst.Spec.Parameters = values
	if err := missingRequired(values, ov.Spec.Parameters); err != nil {
		return fail(err)
	}
	if err := admit(ov, inst); err != nil {
		return fail(err)
	}

	planName := kudoapi.DeployPlanName
	if a.plan != nil {
		planName = *a.plan
	}
	plan, ok := ov.Spec.Plans[planName]
	if !ok {
		return fail(fmt.Errorf("could not find required plan: '%v'", planName))
	}
	pvals, err := instance.ParamsMap(inst, ov)
	if err != nil {
		return fail(fmt.Errorf("could not parse parameters: %v", err))
	}
	meta := engine.Metadata{
		InstanceName:        inst.Name,
		InstanceNamespace:   inst.Namespace,
		OperatorName:        r.Operator.Name,
		OperatorVersionName: ov.Name,
		OperatorVersion:     ov.Spec.Version,
		AppVersion:          ov.Spec.AppVersion,
	}
	pipes, err := instance.PipesMap(planName, &plan, ov.Spec.Tasks, &meta)
	if err != nil {
		return fail(fmt.Errorf("could not make task pipes: %v", err))
	}
	eng := renderer.New()
	for _, ph := range plan.Phases {
		for _, st := range ph.Steps {
			for _, tn := range st.Tasks {
				var t *kudoapi.Task
				for i := range ov.Spec.Tasks {
					if ov.Spec.Tasks[i].Name == tn {
						t = &ov.Spec.Tasks[i]
						break
					}
				}
				if t == nil {
					return fail(fmt.Errorf("plan %s: task %s not found", planName, tn))
				}
				tasker, err := task.Build(t)
				if err != nil {
					return fail(err)
				}
				var resources []string
				switch tk := tasker.(type) {
				case task.ApplyTask:
					resources = tk.Resources
				case task.ToggleTask:
					// ToggleTask.delegateTask, which is not exported
					val, exists := pvals[tk.Parameter]
					if !exists {
						return fail(fmt.Errorf("no value for parameter %s found", tk.Parameter))
					}
					s, ok := val.(string)
					if !ok {
						return fail(fmt.Errorf("value of parameter %s isn't a string", tk.Parameter))
					}
					on, err := strconv.ParseBool(s)
					if err != nil {
						return fail(fmt.Errorf("could not parse value of parameter %s: %v", tk.Parameter, err))
					}
					if on {
						resources = tk.Resources
					}
				default:
					continue // kudoc's `template` renders what Apply and Toggle tasks apply
				}
				rmeta := renderer.Metadata{Metadata: meta, PlanName: planName, PhaseName: ph.Name, StepName: st.Name, TaskName: tn}
				vars := renderer.NewVariableMap().WithMetadata(rmeta).WithParameters(pvals).WithPipes(pipes)
				// task.render keeps its results in a map by template name, so a template a task
				// names twice is applied once.
				seen := map[string]bool{}
				for _, rn := range resources {
					if seen[rn] {
						continue
					}
					seen[rn] = true
					text, ok := ov.Spec.Templates[rn]
					if !ok {
						return fail(fmt.Errorf("error finding resource named %s", rn))
					}
					out, err := eng.Render(rn, text, vars)
					if err != nil {
						return fail(fmt.Errorf("error expanding template %s: %w", rn, err))
					}
					docs, err := decodeDocs(rn, out)
					if err != nil {
						return fail(fmt.Errorf("parsing YAML from %s: %v", rn, err))
					}
					res.Docs = append(res.Docs, docs...)
				}
			}
		}
	}
	res.OK = true
	return res
}

// ---- comparing ----

func decodeNumbers(b []byte) (interface{}, error) {
	d := json.NewDecoder(bytes.NewReader(b))
	d.UseNumber()
	var v interface{}
	if err := d.Decode(&v); err != nil {
		return nil, err
	}
	if d.More() {
		return nil, errors.New("trailing data after the JSON value")
	}
	return v, nil
}

// numEqual compares two JSON numbers by value, exactly.
func numEqual(a, b json.Number) bool {
	x, ok1 := new(big.Float).SetPrec(2000).SetString(string(a))
	y, ok2 := new(big.Float).SetPrec(2000).SetString(string(b))
	return ok1 && ok2 && x.Cmp(y) == 0
}

// diff describes the first difference between two decoded JSON values ("" when equal).
func diff(path string, want, got interface{}) string {
	switch w := want.(type) {
	case map[string]interface{}:
		g, ok := got.(map[string]interface{})
		if !ok {
			return fmt.Sprintf("%s: KUDO has a map, kudoc %s", path, describe(got))
		}
		keys := map[string]bool{}
		for k := range w {
			keys[k] = true
		}
		for k := range g {
			keys[k] = true
		}
		var ks []string
		for k := range keys {
			ks = append(ks, k)
		}
		sort.Strings(ks)
		for _, k := range ks {
			wv, wok := w[k]
			gv, gok := g[k]
			switch {
			case !wok:
				return fmt.Sprintf("%s.%s: only kudoc has it (%s)", path, k, describe(gv))
			case !gok:
				return fmt.Sprintf("%s.%s: only KUDO has it (%s)", path, k, describe(wv))
			}
			if d := diff(path+"."+k, wv, gv); d != "" {
				return d
			}
		}
		return ""
	case []interface{}:
		g, ok := got.([]interface{})
		if !ok {
			return fmt.Sprintf("%s: KUDO has a list, kudoc %s", path, describe(got))
		}
		if len(w) != len(g) {
			return fmt.Sprintf("%s: KUDO has %d items, kudoc %d", path, len(w), len(g))
		}
		for i := range w {
			if d := diff(fmt.Sprintf("%s[%d]", path, i), w[i], g[i]); d != "" {
				return d
			}
		}
		return ""
	case json.Number:
		if g, ok := got.(json.Number); ok && numEqual(w, g) {
			return ""
		}
	default:
		if reflect.DeepEqual(want, got) {
			return ""
		}
	}
	return fmt.Sprintf("%s: KUDO has %s, kudoc %s", path, describe(want), describe(got))
}

func describe(v interface{}) string {
	switch x := v.(type) {
	case map[string]interface{}:
		return "a map"
	case []interface{}:
		return "a list"
	case nil:
		return "null"
	case string:
		if len(x) > 80 {
			x = x[:80] + "..."
		}
		return strconv.Quote(x)
	default:
		return fmt.Sprint(x)
	}
}

// kudocList runs kudoc on the case and returns the items of its JSON List, raw.
func kudocList(bin, dir string, a caseArgs) ([]json.RawMessage, string, error) {
	rel, _ := filepath.Rel(dir, a.pkg)
	argv := []string{"template", rel, "-o", "json"}
	for _, f := range a.pfiles {
		argv = append(argv, "-P", f)
	}
	for _, p := range a.pflags {
		argv = append(argv, "-p", p)
	}
	if a.instance != nil {
		argv = append(argv, "--instance", *a.instance)
	}
	if a.namespace != nil {
		argv = append(argv, "-n", *a.namespace)
	}
	if a.plan != nil {
		argv = append(argv, "--plan", *a.plan)
	}
	cmd := exec.Command(bin, argv...)
	cmd.Dir = dir
	var stdout, stderr bytes.Buffer
	cmd.Stdout, cmd.Stderr = &stdout, &stderr
	if err := cmd.Run(); err != nil {
		return nil, strings.TrimSpace(stderr.String()), err
	}
	var list struct {
		APIVersion string            `json:"apiVersion"`
		Kind       string            `json:"kind"`
		Items      []json.RawMessage `json:"items"`
	}
	if err := json.Unmarshal(stdout.Bytes(), &list); err != nil {
		return nil, "", fmt.Errorf("kudoc printed no JSON List: %v", err)
	}
	if list.APIVersion != "v1" || list.Kind != "List" || list.Items == nil {
		return nil, "", fmt.Errorf("kudoc printed %s/%s, want a v1 List with items", list.APIVersion, list.Kind)
	}
	return list.Items, "", nil
}

// compareDocs says how kudoc's objects differ from KUDO's ("" when they do not).
func compareDocs(kudo []doc, items []json.RawMessage) string {
	if len(kudo) != len(items) {
		var names []string
		for _, d := range kudo {
			names = append(names, d.Template)
		}
		return fmt.Sprintf("KUDO gives %d objects (from %s), kudoc %d", len(kudo), strings.Join(names, ", "), len(items))
	}
	for i, d := range kudo {
		got, err := decodeNumbers(items[i])
		if err != nil {
			return fmt.Sprintf("object %d: %v", i+1, err)
		}
		wb, _ := json.Marshal(d.Object)
		want, _ := decodeNumbers(wb)
		if s := diff("", want, got); s != "" {
			return fmt.Sprintf("object %d (templates/%s): %s", i+1, d.Template, s)
		}
		if d.Typed == nil {
			continue
		}
		// The same object through the scheme's decoder, as KUDO's client would send it.
		obj, _, err := scheme.Codecs.UniversalDeserializer().Decode(items[i], nil, nil)
		if err != nil {
			return fmt.Sprintf("object %d (templates/%s): KUDO decodes it as a %s, kudoc's JSON does not decode: %v", i+1, d.Template, want.(map[string]interface{})["kind"], err)
		}
		tb, err := json.Marshal(obj)
		if err != nil {
			return fmt.Sprintf("object %d: %v", i+1, err)
		}
		tw, _ := decodeNumbers(d.Typed)
		tg, _ := decodeNumbers(tb)
		if s := diff("", tw, tg); s != "" {
			return fmt.Sprintf("object %d (templates/%s), as the scheme decodes it: %s", i+1, d.Template, s)
		}
	}
	return ""
}

// marker reads kudo-differs.txt: the declared difference, or "".
func marker(dir string) (string, error) {
	b, err := os.ReadFile(filepath.Join(dir, "kudo-differs.txt"))
	if errors.Is(err, os.ErrNotExist) {
		return "", nil
	}
	if err != nil {
		return "", err
	}
	kind := strings.TrimSpace(strings.SplitN(string(b), "\n", 2)[0])
	switch kind {
	case "kudoc-fails", "kudo-fails", "objects":
		return kind, nil
	}
	return "", fmt.Errorf("kudo-differs.txt: the first line must be kudoc-fails, kudo-fails or objects, not %q", kind)
}

func compareCase(bin, dir string, verbose bool) (bool, string) {
	declared, err := marker(dir)
	if err != nil {
		return false, err.Error()
	}
	a, err := readArgs(dir)
	if err != nil {
		return false, err.Error()
	}
	kudo := render(dir)
	items, kerr, err := kudocList(bin, dir, a)
	var ee *exec.ExitError
	kudocFailed := errors.As(err, &ee)
	if err != nil && !kudocFailed {
		return false, err.Error()
	}
	actual, detail := "", ""
	switch {
	case !kudo.OK && kudocFailed:
		detail = "both fail\n    KUDO:  " + kudo.Error + "\n    kudoc: " + kerr
	case !kudo.OK:
		actual, detail = "kudo-fails", "KUDO fails, kudoc renders\n    KUDO: "+kudo.Error
	case kudocFailed:
		actual, detail = "kudoc-fails", "kudoc fails, KUDO renders\n    kudoc: "+kerr
	default:
		if d := compareDocs(kudo.Docs, items); d != "" {
			actual, detail = "objects", d
		} else {
			detail = fmt.Sprintf("%d objects agree", len(items))
		}
	}
	if actual == declared {
		if verbose || declared != "" {
			return true, detail
		}
		return true, ""
	}
	if declared == "" {
		return false, detail
	}
	if actual == "" {
		return false, fmt.Sprintf("kudo-differs.txt says %s, but kudoc and KUDO agree (%s): remove the marker", declared, detail)
	}
	return false, fmt.Sprintf("kudo-differs.txt says %s, but: %s", declared, detail)
}

func main() {
	args := os.Args[1:]
	if len(args) >= 2 && args[0] == "render" {
		out, _ := json.MarshalIndent(render(args[1]), "", "  ")
		fmt.Println(string(out))
		return
	}
	if len(args) >= 2 && args[0] == "compare" {
		args = args[1:]
		verbose := false
		if args[0] == "-v" {
			verbose, args = true, args[1:]
		}
		if len(args) < 2 {
			usage()
		}
		bin, err := filepath.Abs(args[0])
		if err != nil {
			fmt.Fprintln(os.Stderr, err)
			os.Exit(2)
		}
		pass, failn := 0, 0
		for _, dir := range args[1:] {
			name := "render/" + filepath.Base(filepath.Clean(dir))
			ok, detail := compareCase(bin, dir, verbose)
			if ok {
				pass++
				if detail != "" {
					fmt.Printf("ok   %s: %s\n", name, detail)
				}
			} else {
				failn++
				fmt.Printf("FAIL %s: %s\n", name, detail)
			}
		}
		fmt.Printf("%d passed, %d failed\n", pass, failn)
		if failn > 0 {
			os.Exit(1)
		}
		return
	}
	usage()
}

func usage() {
	fmt.Fprintln(os.Stderr, "usage: kudoref render CASE_DIR | kudoref compare [-v] KUDOC CASE_DIR...")
	os.Exit(2)
}
