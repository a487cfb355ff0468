{{ printf "%#v|%#v|%#v|%#v" "s" 3 .f .l }}
