package config

import "strings"

// Usage returns the help of `torii serve`: every flag and variable with its
// default and meaning.
func Usage() string {
	var b strings.Builder
	b.WriteString(`Usage: torii serve [flags]

Every setting is a flag or an environment variable; a flag beats the
variable, which beats the default. Secrets also accept NAME_FILE (or
--name-file): the path of a file whose content is the value, for Docker,
Kubernetes and Cloud Run secrets. Durations are written like 15s, 15m, 336h.
`)
	group := ""
	for _, v := range variables {
		if v.group != group {
			group = v.group
			b.WriteString("\n" + group + ":\n")
		}
		b.WriteString("  ")
		if !v.envOnly {
			b.WriteString("--" + v.flagName())
			if v.kind == kindBool {
				b.WriteString("[=bool]")
			} else {
				b.WriteString(" value")
			}
			b.WriteString(", ")
		}
		b.WriteString(v.env)
		if v.envOnly {
			b.WriteString(" (environment only)")
		}
		b.WriteString("\n" + wrap(v.help, "      ", 78))
		if v.kind == kindSecret {
			b.WriteString("      secret: or --" + v.flagName() + "-file path, " + v.env + "_FILE\n")
		}
		b.WriteString("      default: " + defaultDoc(v) + "\n")
	}
	b.WriteString(`
PORT, when set (as on Cloud Run), makes the default address ":$PORT".
`)
	return b.String()
}

func defaultDoc(v variable) string {
	switch {
	case v.defDoc != "":
		return v.defDoc
	case v.def == "":
		return "empty"
	default:
		return v.def
	}
}

// wrap breaks text into lines of at most width columns, each indented.
func wrap(text, indent string, width int) string {
	var b strings.Builder
	line := indent
	for _, w := range strings.Fields(text) {
		if line != indent && len(line)+1+len(w) > width {
			b.WriteString(line + "\n")
			line = indent
		}
		if line != indent {
			line += " "
		}
		line += w
	}
	return b.String() + line + "\n"
}
