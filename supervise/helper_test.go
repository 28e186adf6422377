package supervise

const helperEnv = "SUPERVISE_TEST_HELPER"

func runHelper(name string, args []string) int { return 0 }
