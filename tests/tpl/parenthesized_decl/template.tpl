{{ print ($x := 5) $x }}
