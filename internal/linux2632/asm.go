package linux2632

import (
	"fmt"

	"golang.org/x/sys/unix"
)

// asm assembles a classic BPF program with jumps to labels ("" = the next instruction), which
// it resolves into the relative 8-bit offsets BPF wants.
type asm struct {
	ins    []unix.SockFilter
	jt, jf []string // label names of each instruction's jumps
	labels map[string]int
}

func (a *asm) emit(code uint16, k uint32, jt, jf string) {
	a.ins = append(a.ins, unix.SockFilter{Code: code, K: k})
	a.jt, a.jf = append(a.jt, jt), append(a.jf, jf)
}

func (a *asm) label(name string) {
	if a.labels == nil {
		a.labels = map[string]int{}
	}
	if _, dup := a.labels[name]; dup {
		panic("linux2632: duplicate label " + name) // a bug in Filter, caught by its tests
	}
	a.labels[name] = len(a.ins)
}

func (a *asm) load(off uint32)              { a.emit(unix.BPF_LD|unix.BPF_W|unix.BPF_ABS, off, "", "") }
func (a *asm) ret(v uint32)                 { a.emit(unix.BPF_RET|unix.BPF_K, v, "", "") }
func (a *asm) jeq(k uint32, jt, jf string)  { a.emit(unix.BPF_JMP|unix.BPF_JEQ|unix.BPF_K, k, jt, jf) }
func (a *asm) jge(k uint32, jt, jf string)  { a.emit(unix.BPF_JMP|unix.BPF_JGE|unix.BPF_K, k, jt, jf) }
func (a *asm) jset(k uint32, jt, jf string) { a.emit(unix.BPF_JMP|unix.BPF_JSET|unix.BPF_K, k, jt, jf) }
func (a *asm) jmp(to string)                { a.emit(unix.BPF_JMP|unix.BPF_JA, 0, to, "") }

// assemble resolves the labels; a jump backwards or too far is a bug in Filter.
func (a *asm) assemble() []unix.SockFilter {
	out := append([]unix.SockFilter(nil), a.ins...)
	off := func(i int, name string) int {
		if name == "" {
			return 0
		}
		to, ok := a.labels[name]
		if !ok {
			panic("linux2632: undefined label " + name)
		}
		d := to - i - 1
		if d < 0 || d > 255 {
			panic(fmt.Sprintf("linux2632: jump from %d to %s (%d) out of range", i, name, to))
		}
		return d
	}
	for i := range out {
		if out[i].Code&0x07 != unix.BPF_JMP {
			continue
		}
		if out[i].Code&0xf0 == unix.BPF_JA {
			out[i].K = uint32(off(i, a.jt[i]))
			continue
		}
		out[i].Jt, out[i].Jf = uint8(off(i, a.jt[i])), uint8(off(i, a.jf[i]))
	}
	return out
}
