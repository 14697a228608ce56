package fat

import (
	"encoding/binary"
)

// EachFree calls fn with the runs of free clusters (FAT entry 0) of the
// volume, in cluster order, reading the FAT once. It stops at fn's first
// error and returns it.
func (v *Volume) EachFree(fn func(Extent) error) error {
	buf := make([]byte, 64<<10)
	end := (int64(v.maxCluster) + 1) * 4
	var run Extent
	flush := func() error {
		if run.Count == 0 {
			return nil
		}
		r := run
		run = Extent{}
		return fn(r)
	}
	for off := int64(8); off < end; off += int64(len(buf)) {
		b := buf[:min(int64(len(buf)), end-off)]
		if err := rdReadFull(v.r, b, v.fatStart+off); err != nil {
			return err
		}
		for i := 0; i+4 <= len(b); i += 4 {
			c := uint32((off + int64(i)) / 4)
			if binary.LittleEndian.Uint32(b[i:])&0x0FFFFFFF != 0 {
				if err := flush(); err != nil {
					return err
				}
				continue
			}
			if run.Count == 0 {
				run = Extent{Cluster: c, Offset: v.rdClusterOffset(c)}
			}
			run.Count++
		}
	}
	return flush()
}

// Start is the byte offset of the volume's boot sector on the device.
func (v *Volume) Start() int64 { return v.start }

// ClustersEnd is the byte offset on the device just past the volume's last
// cluster.
func (v *Volume) ClustersEnd() int64 { return v.rdClusterOffset(v.maxCluster) + v.clusterSize }
