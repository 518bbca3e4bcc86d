module github.com/vito/tuist/teav1

go 1.22

require github.com/vito/tuist v0.0.6
