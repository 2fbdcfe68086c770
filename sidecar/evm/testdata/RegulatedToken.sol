// SPDX-License-Identifier: Apache-2.0
pragma solidity ^0.8.20;

interface IEligibility {
    function isEligible(address who) external view returns (bool);
}

/// RegulatedToken is a small ERC-20 with ERC-3643-style agent functions
/// (mint, burn, forcedTransfer and batch variants). If a registry is set, the
/// recipient of every transfer and mint must be eligible in it (seed §8.5);
/// burning bypasses eligibility.
contract RegulatedToken {
    string public name;
    string public symbol;
    uint8 public constant decimals = 0;
    uint256 public totalSupply;
    address public agent;
    IEligibility public registry;

    mapping(address => uint256) public balanceOf;
    mapping(address => mapping(address => uint256)) public allowance;

    event Transfer(address indexed from, address indexed to, uint256 value);
    event Approval(address indexed owner, address indexed spender, uint256 value);

    modifier onlyAgent() {
        require(msg.sender == agent, "not agent");
        _;
    }

    constructor(string memory name_, string memory symbol_, address registry_) {
        name = name_;
        symbol = symbol_;
        agent = msg.sender;
        registry = IEligibility(registry_);
    }

    function _check(address to) internal view {
        if (to == address(0) || address(registry) == address(0)) return;
        require(registry.isEligible(to), "recipient not eligible");
    }

    function _move(address from, address to, uint256 amount) internal {
        require(to != address(0), "zero recipient");
        _check(to);
        require(balanceOf[from] >= amount, "insufficient balance");
        balanceOf[from] -= amount;
        balanceOf[to] += amount;
        emit Transfer(from, to, amount);
    }

    function transfer(address to, uint256 amount) public returns (bool) {
        _move(msg.sender, to, amount);
        return true;
    }

    function approve(address spender, uint256 amount) external returns (bool) {
        allowance[msg.sender][spender] = amount;
        emit Approval(msg.sender, spender, amount);
        return true;
    }

    function transferFrom(address from, address to, uint256 amount) external returns (bool) {
        require(allowance[from][msg.sender] >= amount, "allowance");
        allowance[from][msg.sender] -= amount;
        _move(from, to, amount);
        return true;
    }

    function mint(address to, uint256 amount) public onlyAgent {
        require(to != address(0), "zero recipient");
        _check(to);
        totalSupply += amount;
        balanceOf[to] += amount;
        emit Transfer(address(0), to, amount);
    }

    function burn(address from, uint256 amount) public onlyAgent {
        require(balanceOf[from] >= amount, "insufficient balance");
        balanceOf[from] -= amount;
        totalSupply -= amount;
        emit Transfer(from, address(0), amount);
    }

    function forcedTransfer(address from, address to, uint256 amount) public onlyAgent returns (bool) {
        _move(from, to, amount);
        return true;
    }

    function batchTransfer(address[] calldata toList, uint256[] calldata amounts) external {
        require(toList.length == amounts.length, "length");
        for (uint256 i = 0; i < toList.length; i++) {
            _move(msg.sender, toList[i], amounts[i]);
        }
    }

    function batchMint(address[] calldata toList, uint256[] calldata amounts) external {
        require(toList.length == amounts.length, "length");
        for (uint256 i = 0; i < toList.length; i++) {
            mint(toList[i], amounts[i]);
        }
    }

    function batchBurn(address[] calldata fromList, uint256[] calldata amounts) external {
        require(fromList.length == amounts.length, "length");
        for (uint256 i = 0; i < fromList.length; i++) {
            burn(fromList[i], amounts[i]);
        }
    }

    function batchForcedTransfer(address[] calldata fromList, address[] calldata toList, uint256[] calldata amounts) external {
        require(fromList.length == toList.length && toList.length == amounts.length, "length");
        for (uint256 i = 0; i < toList.length; i++) {
            forcedTransfer(fromList[i], toList[i], amounts[i]);
        }
    }
}
