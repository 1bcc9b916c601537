// Command racy has a data race on purpose: the race detector must report
// it, which TestRaceReported checks.
package main

import "fmt"

func main() {
	n := 0
	done := make(chan struct{})
	go func() {
		n++ // races with the increment below
		close(done)
	}()
	n++
	<-done
	fmt.Println(n)
}
