module flashkiosk

go 1.24.0

require github.com/BurntSushi/toml v1.4.0
