package overlay

// Mode says how the overlay debugs a selected workload.
type Mode string

// The modes. ModeInPlace overlays the workload itself (it rolls, and the
// pods that serve traffic get the debug container). ModeTwin leaves it byte
// for byte as it is and adds a twin after it: a copy with one pod, the same
// configuration, Secrets and volumes, the debug overlay, and no traffic.
const (
	ModeInPlace Mode = "inplace"
	ModeTwin    Mode = "twin"
)

// Modes lists the valid Mode values.
var Modes = []Mode{ModeInPlace, ModeTwin}
