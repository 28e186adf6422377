# Reads a JSON list of cases on stdin; prints what Python's configparser (as supervisord
# configures it) and Python's % formatting make of each. Used by the differential tests.
import configparser, io, json, sys

def ini(text):
    p = configparser.RawConfigParser(inline_comment_prefixes=(';', '#'), strict=False)
    try:
        p.read_file(io.StringIO(text, newline=None), source='t.conf')
    except configparser.Error as e:
        return {'error': str(e)}
    out = {'sections': [[s, [[k, p._sections[s][k]] for k in p._sections[s]]] for s in p.sections()],
           'defaults': [[k, v] for k, v in p._defaults.items()]}
    return out

def fmt(f, d):
    try:
        return {'out': f % d}
    except KeyError as e:
        return {'key': str(e)}
    except (ValueError, TypeError, OverflowError) as e:
        return {'error': str(e)}

cases = json.load(sys.stdin)
res = []
for c in cases:
    if c['kind'] == 'ini':
        res.append(ini(c['text']))
    else:
        res.append(fmt(c['format'], c['vars']))
json.dump(res, sys.stdout)
