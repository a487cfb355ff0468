{{ true }} {{ false }} {{ not true }} {{ and true false }}
