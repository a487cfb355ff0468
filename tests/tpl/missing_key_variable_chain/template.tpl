{{ $p := .Params }}
{{ $p.nope }}
