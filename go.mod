module flashkiosk

go 1.24.0
