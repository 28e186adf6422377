# Reads [[type, value], ...] as JSON on stdin and prints what supervisord 4.2.5's datatypes make
# of each value: {"ok": result} or {"error": message}. Used by the differential tests.
import json, sys
sys.path.insert(0, '/usr/lib/python3/dist-packages')
from supervisor import datatypes as d

def conv(kind, v):
    if kind == 'env':
        return sorted(d.dict_of_key_value_pairs(v).items())
    if kind == 'envorder':
        return list(d.dict_of_key_value_pairs(v).items())
    if kind == 'inet':
        return list(d.inet_address(v))
    if kind == 'autorestart':
        r = d.auto_restart(v)
        return {d.RestartUnconditionally: 'true', d.RestartWhenExitUnexpected: 'unexpected', False: 'false'}[r]
    if kind == 'signal':
        return int(d.signal_number(v))
    f = {'boolean': d.boolean, 'integer': d.integer, 'byte_size': d.byte_size, 'exitcodes': d.list_of_exitcodes,
         'octal': d.octal_type, 'name': d.process_or_group_name, 'strings': d.list_of_strings}[kind]
    return f(v)

out = []
for kind, v in json.load(sys.stdin):
    try:
        out.append({'ok': conv(kind, v)})
    except Exception as e:
        out.append({'error': str(e)})
json.dump(out, sys.stdout)
