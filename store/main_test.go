package store_test

import (
	"os"
	"testing"

	"github.com/plings/walletconsole/store/pgtest"
)

func TestMain(m *testing.M) { os.Exit(pgtest.Main(m)) }
