// goref renders one template the way KUDO 0.19's renderer does (text/template with
// missingkey=error, sprig v2.22.0's TxtFuncMap minus the environment and path functions,
// plus toYaml), so kudoc's engine can be compared against the real thing.
//
//	goref TEMPLATE_FILE [DATA_JSON]
//
// The data file is decoded into interface{} (numbers become float64); without one, dot is an
// empty map. The output goes to stdout; an error goes to stderr with exit status 1.
package main

import (
	"bytes"
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"text/template"

	"github.com/Masterminds/sprig"
	"gopkg.in/yaml.v2"
)

// kudoToYaml is KUDO v0.19.0's renderer.ToYaml: the marshalled text as is, trailing newline
// included, and the marshal error passed on.
func kudoToYaml(v interface{}) (string, error) {
	b, err := yaml.Marshal(v)
	return string(b), err
}

func funcs() template.FuncMap {
	f := sprig.TxtFuncMap()
	f["toYaml"] = kudoToYaml
	for _, name := range []string{"env", "expandenv", "base", "dir", "clean", "ext", "isAbs"} {
		delete(f, name)
	}
	return f
}

func fail(err error) {
	fmt.Fprintln(os.Stderr, err)
	os.Exit(1)
}

func main() {
	if len(os.Args) < 2 || len(os.Args) > 3 {
		fmt.Fprintln(os.Stderr, "usage: goref TEMPLATE_FILE [DATA_JSON]")
		os.Exit(2)
	}
	text, err := os.ReadFile(os.Args[1])
	if err != nil {
		fail(err)
	}
	var data interface{} = map[string]interface{}{}
	if len(os.Args) == 3 {
		raw, err := os.ReadFile(os.Args[2])
		if err != nil {
			fail(err)
		}
		if err := json.Unmarshal(raw, &data); err != nil {
			fail(fmt.Errorf("%s: %v", os.Args[2], err))
		}
	}
	name := filepath.Base(os.Args[1])
	if n := os.Getenv("GOREF_NAME"); n != "" {
		name = n
	}
	// As KUDO's Engine.Template: an outer "gotpl" template, the named one inside it.
	t := template.New("gotpl")
	t.Option("missingkey=error")
	t = t.New(name).Funcs(funcs())
	if _, err := t.Parse(string(text)); err != nil {
		fail(err)
	}
	var out bytes.Buffer
	if err := t.ExecuteTemplate(&out, name, data); err != nil {
		os.Stdout.Write(out.Bytes())
		fail(err)
	}
	os.Stdout.Write(out.Bytes())
}
