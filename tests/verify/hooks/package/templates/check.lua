-- a hook that would be valid, but lives with the manifests
return true
