#!/usr/bin/python
"""A fact-gathering module for tests (ANSIBLE_FACTS_MODULES=canned_facts): reports the facts in
the JSON file $CANNED_FACTS as the host's, so a play sees another operating system's facts."""

import json
import os

from ansible.module_utils.basic import AnsibleModule


def main():
    module = AnsibleModule(
        argument_spec={  # what Ansible's fact gathering passes on; unused here
            "gather_subset": {"type": "list", "elements": "str"},
            "gather_timeout": {"type": "int"},
            "filter": {"type": "list", "elements": "str"},
            "fact_path": {"type": "path"},
        },
        supports_check_mode=True,
    )
    with open(os.environ["CANNED_FACTS"], encoding="utf-8") as f:
        module.exit_json(ansible_facts=json.load(f))


if __name__ == "__main__":
    main()
