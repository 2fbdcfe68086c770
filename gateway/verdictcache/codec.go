package verdictcache

import (
	"encoding/binary"
	"errors"
	"fmt"

	"github.com/clearancehq/clearance/policies"
)

// valueVersion leads every L2 value.
const valueVersion = 1

var errCorrupt = errors.New("verdictcache: corrupt L2 value")

// encodeValue encodes a cached static result and its validity window.
func encodeValue(lo, hi int64, r *policies.Result) []byte {
	e := encoder{b: make([]byte, 0, 128)}
	e.b = append(e.b, valueVersion)
	e.i64(lo)
	e.i64(hi)
	e.flag(r.Allow)
	e.str(r.Engine)
	e.str(r.Revised)
	e.reasons(r.Deny)
	e.reasons(r.Review)
	return e.b
}

func (e *encoder) reasons(rs []policies.Reason) {
	e.b = binary.AppendUvarint(e.b, uint64(len(rs)))
	for i := range rs {
		r := &rs[i]
		e.str(r.Code)
		e.str(r.Message)
		e.str(r.Policy)
		e.str(r.Observed)
		e.str(r.Limit)
		e.str(r.Reference)
		e.str(r.Effect)
	}
}

type decoder struct {
	b   []byte
	err error
}

func (d *decoder) uvarint() uint64 {
	if d.err != nil {
		return 0
	}
	v, n := binary.Uvarint(d.b)
	if n <= 0 {
		d.err = errCorrupt
		return 0
	}
	d.b = d.b[n:]
	return v
}

func (d *decoder) i64() int64 {
	if d.err != nil {
		return 0
	}
	v, n := binary.Varint(d.b)
	if n <= 0 {
		d.err = errCorrupt
		return 0
	}
	d.b = d.b[n:]
	return v
}

func (d *decoder) byte1() byte {
	if d.err != nil {
		return 0
	}
	if len(d.b) == 0 {
		d.err = errCorrupt
		return 0
	}
	c := d.b[0]
	d.b = d.b[1:]
	return c
}

func (d *decoder) str() string {
	n := d.uvarint()
	if d.err != nil {
		return ""
	}
	if n > uint64(len(d.b)) {
		d.err = errCorrupt
		return ""
	}
	s := string(d.b[:n])
	d.b = d.b[n:]
	return s
}

func (d *decoder) reasons() []policies.Reason {
	n := d.uvarint()
	if d.err != nil || n == 0 {
		return nil
	}
	// Every reason takes at least seven bytes.
	if n > uint64(len(d.b))/7 {
		d.err = errCorrupt
		return nil
	}
	rs := make([]policies.Reason, n)
	for i := range rs {
		rs[i] = policies.Reason{
			Code: d.str(), Message: d.str(), Policy: d.str(), Observed: d.str(),
			Limit: d.str(), Reference: d.str(), Effect: d.str(),
		}
	}
	return rs
}

// decodeValue is the inverse of encodeValue.
func decodeValue(b []byte) (lo, hi int64, r policies.Result, err error) {
	d := decoder{b: b}
	if v := d.byte1(); d.err == nil && v != valueVersion {
		return 0, 0, r, fmt.Errorf("%w: version %d", errCorrupt, v)
	}
	lo, hi = d.i64(), d.i64()
	switch d.byte1() {
	case 0:
	case 1:
		r.Allow = true
	default:
		d.err = errCorrupt
	}
	r.Engine = d.str()
	r.Revised = d.str()
	r.Deny = d.reasons()
	r.Review = d.reasons()
	if d.err == nil && len(d.b) != 0 {
		d.err = errCorrupt
	}
	if d.err != nil {
		return 0, 0, policies.Result{}, d.err
	}
	return lo, hi, r, nil
}
