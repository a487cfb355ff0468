{{ template "missing" }}
