package benchcompare_test

import (
	"os"

	"github.com/supervisord-lite/supervisord-lite/internal/benchcompare"
)

// Summarize turns the results of an interleaved run into a table with the ratio of each
// supervisor to the first.
func ExampleSummarize() {
	var results []benchcompare.Result
	for rep, v := range [][2]float64{{1007, 12}, {1003, 10}, {1010, 11}} {
		results = append(results,
			benchcompare.Result{Metric: benchcompare.Metric{Scenario: "restart", Name: "p50_ms", Value: v[0], Unit: "ms"}, Side: "supervisord", Rep: rep + 1},
			benchcompare.Result{Metric: benchcompare.Metric{Scenario: "restart", Name: "p50_ms", Value: v[1], Unit: "ms"}, Side: "supervisord-lite", Rep: rep + 1})
	}
	benchcompare.Summarize(os.Stdout, results, []string{"supervisord", "supervisord-lite"})
	// Output:
	// | scenario | metric | unit | supervisord | supervisord-lite | supervisord-lite / supervisord |
	// |---|---|---|---|---|---|
	// | restart | p50_ms | ms | 1007 [1003..1010] (3) | 11 [10..12] (3) | 0.01 |
}
