{{ $d := dict "a" 1 "b" (dict "c" 2) }}{{ $_ := mergeOverwrite $d $d $d }}{{ $d }} {{ $_ := merge $d (dict "a" 5 "z" 3) $d }}{{ $d }}
