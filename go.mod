module github.com/skyscope-os/skyscope

go 1.26

require pgregory.net/rapid v1.3.0
