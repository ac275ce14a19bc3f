package hyperlight

import (
	"reflect"
	"sort"
	"strings"
	"testing"
)

func findGuestFunction(functions []GuestFunction, name string) *GuestFunction {
	for i := range functions {
		if functions[i].Name == name {
			return &functions[i]
		}
	}
	return nil
}

func TestGuestFunctionsListsTheTableWithItsKinds(t *testing.T) {
	sb := newTestSandbox(t)
	functions, flags, err := sb.GuestFunctions()
	if err != nil {
		t.Fatal(err)
	}
	if flags != GuestTableDeclared {
		t.Fatalf("flags = %v, want %v", flags, GuestTableDeclared)
	}
	if len(functions) != 22 {
		t.Fatalf("%d functions, want 22", len(functions))
	}
	if !sort.SliceIsSorted(functions, func(i, j int) bool { return functions[i].Name < functions[j].Name }) {
		t.Fatal("functions are not in name order")
	}
	add := findGuestFunction(functions, "Add")
	if add == nil || add.Result != KindI32 || !reflect.DeepEqual(add.Params, []ValKind{KindI32, KindI32}) {
		t.Fatalf("Add = %+v, want i32(i32, i32)", add)
	}
	spin := findGuestFunction(functions, "Spin")
	if spin == nil || spin.Result != KindVoid || len(spin.Params) != 0 {
		t.Fatalf("Spin = %+v, want void()", spin)
	}
	// The table agrees with what Call accepts.
	if got := mustCall(t, sb, add.Name, int32(40), int32(2)); got != int32(42) {
		t.Fatalf("Add(40, 2) = %v", got)
	}
}

func TestGuestFunctionsReportsTheFallback(t *testing.T) {
	sb := newConfiguredSandbox(t, sdkGuestPath(), nil)
	functions, flags, err := sb.GuestFunctions()
	if err != nil {
		t.Fatal(err)
	}
	if flags != GuestTableDeclared|GuestTableFallback {
		t.Fatalf("flags = %d, want declared and fallback", flags)
	}
	if all := findGuestFunction(functions, "AllTypes"); all == nil || len(all.Params) != 11 || all.Result != KindString {
		t.Fatalf("AllTypes = %+v", all)
	}
}

func TestGuestFunctionsOfAGuestWithoutATable(t *testing.T) {
	// simpleguest's "many-functions" table does not fit the default output
	// buffer, so the guest declares none; a larger buffer carries it.
	sb := newConfiguredSandbox(t, guestPath(), &Config{InitData: []byte("many-functions")})
	functions, flags, err := sb.GuestFunctions()
	if err != nil || flags != 0 || len(functions) != 0 {
		t.Fatalf("GuestFunctions() = %d functions, flags %d, %v; want none", len(functions), flags, err)
	}
	big := newConfiguredSandbox(t, guestPath(), &Config{InitData: []byte("many-functions"), OutputBufferSize: 1 << 20})
	functions, flags, err = big.GuestFunctions()
	if err != nil || flags != GuestTableDeclared || len(functions) != 322 {
		t.Fatalf("GuestFunctions() = %d functions, flags %d, %v; want 322 declared", len(functions), flags, err)
	}
	filler := findGuestFunction(functions, "Filler299"+strings.Repeat("x", 241))
	if filler == nil || filler.Result != KindI64 || filler.Params != nil {
		t.Fatalf("Filler299xxx... = %+v, want i64()", filler)
	}
}

func TestGuestFunctionsOfAClosedSandbox(t *testing.T) {
	sb, err := NewSandbox(guestPath(), nil)
	if err != nil {
		t.Fatal(err)
	}
	if err := sb.Close(); err != nil {
		t.Fatal(err)
	}
	_, _, err = sb.GuestFunctions()
	wantCode(t, err, ErrorInvalidArgument)
}

func TestGuestFunctionsWhileACallRunsIsBusy(t *testing.T) {
	sb := newTestSandbox(t)
	err := sb.Register("HostAdd", func(a, b int32) int32 {
		_, _, err := sb.GuestFunctions() // from inside the call
		wantCode(t, err, ErrorBusy)
		return a + b
	})
	if err != nil {
		t.Fatal(err)
	}
	if got := mustCall(t, sb, "AddViaHost", int32(1), int32(2)); got != int32(3) {
		t.Fatalf("AddViaHost = %v", got)
	}
	if _, _, err := sb.GuestFunctions(); err != nil {
		t.Fatalf("after the call: %v", err)
	}
}
