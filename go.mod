module flashkiosk

go 1.24.0

require (
	github.com/BurntSushi/toml v1.4.0
	github.com/hanwen/go-fuse/v2 v2.7.2
	github.com/zeebo/xxh3 v1.0.2
	golang.org/x/crypto v0.45.0
	golang.org/x/sys v0.38.0
)

require github.com/klauspost/cpuid/v2 v2.0.9 // indirect
