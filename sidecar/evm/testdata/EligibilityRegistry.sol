// SPDX-License-Identifier: Apache-2.0
pragma solidity ^0.8.20;

/// EligibilityRegistry is the seed book's §8.5 registry: one boolean flag per
/// address, set by a single admin, with an event per change.
contract EligibilityRegistry {
    mapping(address => bool) public isEligible;
    address public admin;

    event EligibilityUpdated(address indexed who, bool eligible);

    modifier onlyAdmin() {
        require(msg.sender == admin, "not admin");
        _;
    }

    constructor(address admin_) {
        admin = admin_;
    }

    function setEligible(address who, bool eligible) external onlyAdmin {
        isEligible[who] = eligible;
        emit EligibilityUpdated(who, eligible);
    }
}
