ok
{{ nosuchfn .x }}
