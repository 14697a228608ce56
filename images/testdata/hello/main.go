// Command hello stands in for kioskd in the image tests: a uinit that
// exists in every branch.
package main

import "fmt"

func main() { fmt.Println("hello from the image test") }
