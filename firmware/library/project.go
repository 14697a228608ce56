package library

import (
	"strings"
	"unicode"
)

// ProjectName is the name no stick may carry: a stick found on a recipient
// must not point to the kiosk or the project that wrote it.
const ProjectName = "flashkiosk"

// NamesProject reports whether s holds ProjectName in any case, also
// split by spaces or punctuation ("FLASH KIOSK", "flash-kiosk").
func NamesProject(s string) bool {
	letters := strings.Map(func(r rune) rune {
		if unicode.IsLetter(r) || unicode.IsDigit(r) {
			return unicode.ToLower(r)
		}
		return -1
	}, s)
	return strings.Contains(letters, ProjectName)
}

// ProjectNameReason says why a name or label that NamesProject finds is
// refused.
const ProjectNameReason = "names the project (" + ProjectName + "): a stick must not point to the kiosk that wrote it"
