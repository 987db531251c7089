package overlay

import (
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"strconv"

	corev1 "k8s.io/api/core/v1"
	"k8s.io/apimachinery/pkg/api/resource"
	"k8s.io/utils/ptr"
)

// CopyContainerName is the name of the init container that copies volumes.
const CopyContainerName = "debug-overlay-copy"

// copyScript copies each source directory's visible entries into its
// destination as regular files. It is run as
//
//	sh -c copyScript debug-overlay-copy SRC DST OPTIONAL [SRC DST OPTIONAL]...
//
// with fixed paths as arguments, so no volume or file name is ever part of
// the script text. kubelet's atomic writer shows each key as a symlink
// (key -> ..data/key, ..data -> ..<timestamp>/); names starting with ".."
// are its internals and are skipped; cp -L dereferences everything and
// umask 0 keeps the source modes (cp without -p creates files with the
// source mode less the umask, and -p would try to chown as non-root).
// A source that is not mounted fails the pod unless OPTIONAL is "optional".
// An empty source is no error: kubelet itself refuses to start a pod whose
// required Secret or ConfigMap (or a required key of it) is missing, so an
// empty mount is an object that exists with no keys, which the app copes
// with unaided; failing there would make the overlay break a working pod.
const copyScript = `set -eu
umask 0
while [ "$#" -ge 3 ]; do
  src=$1 dst=$2 optional=$3
  shift 3
  if [ ! -d "$src" ]; then
    if [ "$optional" = optional ]; then
      echo "debug-overlay-copy: source $src is not mounted; optional, skipped"
      continue
    fi
    echo "debug-overlay-copy: source $src is not mounted" >&2
    exit 1
  fi
  rm -rf -- "$dst"/* "$dst"/.[!.]* "$dst"/..?*
  n=0
  for entry in "$src"/* "$src"/.[!.]*; do
    [ -e "$entry" ] || [ -L "$entry" ] || continue
    cp -RL -- "$entry" "$dst"/
    n=$((n + 1))
  done
  echo "debug-overlay-copy: copied $n entries from $src to $dst"
done
`

const (
	copySourceRoot = "/debug-overlay/src/"
	copyDestRoot   = "/debug-overlay/dst/"
)

// copyJob is one volume to copy within a pod.
type copyJob struct {
	volume   string // the pod volume
	copyName string // the emptyDir receiving its files
	medium   corev1.StorageMedium
	secret   bool
	optional bool
}

// planCopy checks that vol can be copied and says how.
func planCopy(cv CopyVolume, vol corev1.Volume) (copyJob, error) {
	job := copyJob{volume: vol.Name, copyName: copyVolumeName(vol.Name)}
	switch src := vol.VolumeSource; {
	case src.Secret != nil:
		job.secret = true
		job.optional = ptr.Deref(src.Secret.Optional, false)
	case src.ConfigMap != nil:
		job.optional = ptr.Deref(src.ConfigMap.Optional, false)
	case src.DownwardAPI != nil:
	case src.Projected != nil:
		job.optional = len(src.Projected.Sources) > 0
		for _, p := range src.Projected.Sources {
			switch {
			case p.Secret != nil:
				job.secret = true
				job.optional = job.optional && ptr.Deref(p.Secret.Optional, false)
			case p.ServiceAccountToken != nil, p.PodCertificate != nil:
				job.secret = true
				job.optional = false
			case p.ConfigMap != nil:
				job.optional = job.optional && ptr.Deref(p.ConfigMap.Optional, false)
			default:
				job.optional = false
			}
		}
	default:
		return job, fmt.Errorf("volume %q is not a secret, configMap, projected or downwardAPI volume; only those can be copied", vol.Name)
	}
	if cv.Optional != nil {
		job.optional = *cv.Optional
	}
	switch cv.Medium {
	case MediumMemory:
		job.medium = corev1.StorageMediumMemory
	case MediumDisk:
		job.medium = corev1.StorageMediumDefault
	default:
		if job.secret {
			job.medium = corev1.StorageMediumMemory
		}
	}
	return job, nil
}

// copyVolumeName names the emptyDir for a volume: "<volume>-debug-copy",
// shortened with a hash when that would pass the 63-character limit.
func copyVolumeName(volume string) string {
	const suffix = "-debug-copy"
	name := volume + suffix
	if len(name) <= 63 {
		return name
	}
	sum := sha256.Sum256([]byte(volume))
	return volume[:63-len(suffix)-9] + "-" + hex.EncodeToString(sum[:])[:8] + suffix
}

// copyVolume is the emptyDir that receives a copy.
func copyVolume(job copyJob, sizeLimit *resource.Quantity) corev1.Volume {
	return corev1.Volume{
		Name: job.copyName,
		VolumeSource: corev1.VolumeSource{EmptyDir: &corev1.EmptyDirVolumeSource{
			Medium:    job.medium,
			SizeLimit: sizeLimit,
		}},
	}
}

// copyContainer is the init container that fills the copies.
func copyContainer(image string, pull corev1.PullPolicy, jobs []copyJob) corev1.Container {
	c := corev1.Container{
		Name:            CopyContainerName,
		Image:           image,
		ImagePullPolicy: pull,
		Command:         []string{"sh", "-c", copyScript, CopyContainerName},
		Resources: corev1.ResourceRequirements{
			Requests: corev1.ResourceList{
				corev1.ResourceCPU:    resource.MustParse("10m"),
				corev1.ResourceMemory: resource.MustParse("16Mi"),
			},
			Limits: corev1.ResourceList{
				corev1.ResourceCPU:    resource.MustParse("100m"),
				corev1.ResourceMemory: resource.MustParse("64Mi"),
			},
		},
	}
	for i, job := range jobs {
		src := copySourceRoot + strconv.Itoa(i)
		dst := copyDestRoot + strconv.Itoa(i)
		optional := "required"
		if job.optional {
			optional = "optional"
		}
		c.Args = append(c.Args, src, dst, optional)
		c.VolumeMounts = append(c.VolumeMounts,
			corev1.VolumeMount{Name: job.volume, MountPath: src, ReadOnly: true},
			corev1.VolumeMount{Name: job.copyName, MountPath: dst},
		)
	}
	return c
}
