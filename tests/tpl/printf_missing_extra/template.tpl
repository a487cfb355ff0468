{{ printf "%s %s" "a" }}|{{ printf "%s" "a" "b" 3 nil }}|{{ printf "%" }}|{{ printf "no verbs" 1 }}
