{{ printf "%[2]s %[1]s" "a" "b" }}|{{ printf "%[3]s" "a" }}|{{ printf "%[1]d %d" 1 2 }}
