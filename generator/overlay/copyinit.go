package overlay

import (
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"strconv"

	corev1 "k8s.io/api/core/v1"
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
var copyScript = buildCopyScript(false)

// copyPermsScript is copyScript for pods where a copied volume asks for a
// fileMode, a dirMode or an owner. It is run as
//
//	sh -c copyPermsScript debug-overlay-copy SRC DST OPTIONAL FILEMODE DIRMODE GROUP...
//
// where FILEMODE and DIRMODE are octal modes and GROUP a numeric group ID,
// each "keep" when not asked. After copying it sets the group of every copy
// (kubelet makes an emptyDir setgid to the pod's fsGroup, so without that
// the copies would get the fsGroup), then the mode of every file, then of
// every directory, deepest first so that a mode without search permission
// does not keep find out of what is left to do. The container runs as the
// owner, and the owner may do all of that without any capability: chmod on
// its own files, chgrp to its own group. Before removing an earlier run's
// copy it gives the owner back access to its directories. Files and
// directories get exactly the modes asked: chmod with an octal mode also
// clears the setgid bit directories inherit from the emptyDir.
var copyPermsScript = buildCopyScript(true)

// buildCopyScript writes copyScript, or with perms copyPermsScript.
func buildCopyScript(perms bool) string {
	args, vars, prepare, finish := "3", "src=$1 dst=$2 optional=$3", "", ""
	if perms {
		args, vars = "6", "src=$1 dst=$2 optional=$3 filemode=$4 dirmode=$5 group=$6"
		prepare = `  find "$dst" -mindepth 1 -type d -exec chmod u+rwx {} \;
`
		finish = `  if [ "$group" != keep ]; then
    find "$dst" -mindepth 1 -exec chgrp "$group" {} +
  fi
  if [ "$filemode" != keep ]; then
    find "$dst" -mindepth 1 -type f -exec chmod "$filemode" {} +
  fi
  if [ "$dirmode" != keep ]; then
    find "$dst" -mindepth 1 -depth -type d -exec chmod "$dirmode" {} +
  fi
`
	}
	return `set -eu
umask 0
while [ "$#" -ge ` + args + ` ]; do
  ` + vars + `
  shift ` + args + `
  if [ ! -d "$src" ]; then
    if [ "$optional" = optional ]; then
      echo "debug-overlay-copy: source $src is not mounted; optional, skipped"
      continue
    fi
    echo "debug-overlay-copy: source $src is not mounted" >&2
    exit 1
  fi
` + prepare + `  rm -rf -- "$dst"/* "$dst"/.[!.]* "$dst"/..?*
  n=0
  for entry in "$src"/* "$src"/.[!.]*; do
    [ -e "$entry" ] || [ -L "$entry" ] || continue
    cp -RL -- "$entry" "$dst"/
    n=$((n + 1))
  done
` + finish + `  echo "debug-overlay-copy: copied $n entries from $src to $dst"
done
`
}

// keepArg stands for a mode or group that is not asked in copyPermsScript's
// arguments.
const keepArg = "keep"

const (
	copySourceRoot = "/debug-overlay/src/"
	copyDestRoot   = "/debug-overlay/dst/"
)

// copyJob is one volume to copy within a pod.
type copyJob struct {
	field    string        // of its CopyVolume: "copy.volumes[2]"
	cv       CopyVolume    // what the configuration asks
	source   corev1.Volume // the pod volume copied
	volume   string        // its name
	copyName string        // the emptyDir receiving its files
	medium   corev1.StorageMedium
	secret   bool
	optional bool
	fileMode *Perm
	dirMode  *Perm
}

// planCopy checks that vol can be copied and says how.
func planCopy(field string, cv CopyVolume, vol corev1.Volume) (copyJob, error) {
	job := copyJob{field: field, cv: cv, source: vol, volume: vol.Name, copyName: copyVolumeName(vol.Name), fileMode: cv.FileMode, dirMode: cv.DirMode}
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

// rewire says whether the app's mounts of the volume move to the copy.
func (job copyJob) rewire() bool { return job.cv.Rewire == nil || *job.cv.Rewire }

// copyVolume is the emptyDir that receives a copy.
func copyVolume(job copyJob) corev1.Volume {
	return corev1.Volume{
		Name: job.copyName,
		VolumeSource: corev1.VolumeSource{EmptyDir: &corev1.EmptyDirVolumeSource{
			Medium:    job.medium,
			SizeLimit: job.cv.SizeLimit,
		}},
	}
}

// copyContainer is the init container that fills the copies, run as user
// when one is given.
func copyContainer(image string, pull corev1.PullPolicy, jobs []copyJob, user *copyUser) corev1.Container {
	perms := user != nil
	for _, job := range jobs {
		perms = perms || job.fileMode != nil || job.dirMode != nil
	}
	script := copyScript
	if perms {
		script = copyPermsScript
	}
	c := corev1.Container{
		Name:            CopyContainerName,
		Image:           image,
		ImagePullPolicy: pull,
		Command:         []string{"sh", "-c", script, CopyContainerName},
		Resources:       helperResources(),
	}
	group := keepArg
	if user != nil {
		c.SecurityContext = &corev1.SecurityContext{RunAsUser: ptr.To(user.uid), RunAsGroup: user.gid}
		if user.gid != nil {
			group = strconv.FormatInt(*user.gid, 10)
		}
	}
	for i, job := range jobs {
		src := copySourceRoot + strconv.Itoa(i)
		dst := copyDestRoot + strconv.Itoa(i)
		optional := "required"
		if job.optional {
			optional = "optional"
		}
		c.Args = append(c.Args, src, dst, optional)
		if perms {
			c.Args = append(c.Args, modeArg(job.fileMode), modeArg(job.dirMode), group)
		}
		c.VolumeMounts = append(c.VolumeMounts,
			corev1.VolumeMount{Name: job.volume, MountPath: src, ReadOnly: true},
			corev1.VolumeMount{Name: job.copyName, MountPath: dst},
		)
	}
	return c
}

// modeArg writes a mode for copyPermsScript.
func modeArg(m *Perm) string {
	if m == nil {
		return keepArg
	}
	return m.String()
}
