{{ $.Params.map.a }} {{ $p := .Params }}{{ $p.map.z }} {{ $p.list }}
